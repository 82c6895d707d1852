// The composition root: the one place that names concrete backends. From the resolved
// config it builds what a ring needs (runtime/ring/backend.h) — device, streams, the
// attention block operation, the sequence- and data-parallel communicators — and the
// block operation alone for `kernel-bench`. Commands call these and nothing else.
//
//   attention.backend  comm.backend   device            block operation
//   cpu                mpi            CPU streams       CPU kernels (OpenBLAS + vectorized softmax)
//   simt               mpi            CPU streams       the CUDA kernels under the SIMT emulator
//   cuda               nccl | mpi     (the GPU issue plugs in here; refused until then)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "kernels/cuda/attention_params.h"
#include "runtime/config/config.h"
#include "runtime/config/ringattn_config.pb.h"
#include "runtime/device/device.h"
#include "runtime/model/device_transformer.h"
#include "runtime/ring/backend.h"

namespace ra::backend {

enum class Kernels : std::uint8_t { kCpu, kSimt, kCuda };
enum class Transport : std::uint8_t { kMpi, kNccl };

struct TileShape {
  std::int64_t q_rows = 0, k_cols = 0;  // 0: the kernels' default
};

struct BackendOptions {
  Kernels kernels = Kernels::kCpu;
  Transport transport = Transport::kMpi;
  int sp = 0;                               // ranks per ring (consecutive world ranks); 0: the whole world is one ring
  int threads = 1;                          // CPU kernel threads per rank
  TileShape forward_tiles, backward_tiles;  // CPU kernels
  kernels::cuda::MmaPrecision precision = kernels::cuda::MmaPrecision::kFast;  // attention.precision (every backend)
  // Receives the spans of work of the backend's streams (timelines); may be null.
  device::StreamObserver* observer = nullptr;
};

// attention.backend, comm.backend, attention.threads, attention.tiles, parallel.sp of a
// resolved config.
BackendOptions backend_options(const config::RunConfig& c);

const char* kernels_name(Kernels k);
// "cpu", "simt", "cuda" → Kernels; anything else is a UsageError naming the choices.
Kernels parse_kernels(std::string_view name);

// The tiles the block operation of `options` cuts a block into (`ringattn calibrate`
// writes them into the time model's profile): the CPU kernels' (attention.tiles, or their
// defaults); {} for the CUDA kernels (not modelled: their tiles are per kernel and arch).
struct KernelTiles {
  TileShape forward, backward;
};
KernelTiles kernel_tiles(const BackendOptions& options);

// The block operation alone, on host memory (kernel-bench, tests of the operation).
std::unique_ptr<kernels::AttentionBlockOp> make_block_op(const BackendOptions& options);

// An implementation of the block operation with the device whose memory it reads and the
// stream its work goes on: what `ringattn selftest` checks against the CPU kernels.
struct Accelerator {
  std::string description;  // for reports: "CUDA device 0", "the SIMT emulator (host memory)"
  std::unique_ptr<device::Device> device;
  std::unique_ptr<device::Stream> stream;
  std::unique_ptr<kernels::AttentionBlockOp> op;
};

// kCuda: GPU `ordinal` — an Error saying why when there is none, no driver, or this
// build has no CUDA; kSimt: the CUDA kernels under the emulator on host memory; kCpu:
// the CPU kernels (options.threads). `ordinal` is ignored but for kCuda.
Accelerator make_accelerator(const BackendOptions& options, int ordinal);

// Whether this build has the CUDA backend (config validation refuses cuda without it).
config::CudaSupport cuda_support();
// What `ringattn plan` resolves configs against: a CUDA build, whatever this one is (a
// plan is for the GPU cluster, made on a login node that may have no toolkit).
config::CudaSupport planning_support();

// Collective over `world`: splits it into rings of options.sp ranks and builds the rest.
std::unique_ptr<ring::Backend> make_backend(comm::Communicator& world, const BackendOptions& options);

// What the device model (`ringattn train` on simt, cuda) runs with on `b` (from
// make_backend with the same options): simt → the emulator's ModelKernels and the CPU
// executor of cuBLAS's GEMMs (HostColumnMajorGemm) on host memory; cuda → nvcc's
// ModelKernels and cuBLAS bound to the parts' stream; cpu → null (the host model). The
// stream is a new one of b.device, named "model".
std::unique_ptr<model::DeviceModelParts> make_device_model_parts(const BackendOptions& options, ring::Backend& b);

}  // namespace ra::backend

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
#include <string_view>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "kernels/cuda/attention_params.h"
#include "runtime/config/ringattn_config.pb.h"
#include "runtime/device/device.h"
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
  int sp = 0;       // ranks per ring (consecutive world ranks); 0: the whole world is one ring
  int threads = 1;  // CPU kernel threads per rank
  TileShape forward_tiles, backward_tiles;  // CPU kernels
  kernels::cuda::MmaPrecision precision = kernels::cuda::MmaPrecision::kFast;  // simt, cuda: attention.precision
  // Receives the spans of work of the backend's streams (timelines); may be null.
  device::StreamObserver* observer = nullptr;
};

// attention.backend, comm.backend, attention.threads, attention.tiles, parallel.sp of a
// resolved config.
BackendOptions backend_options(const config::RunConfig& c);

const char* kernels_name(Kernels k);
// "cpu", "simt", "cuda" → Kernels; anything else is a UsageError naming the choices.
Kernels parse_kernels(std::string_view name);

// The block operation alone, on host memory (kernel-bench, tests of the operation).
std::unique_ptr<kernels::AttentionBlockOp> make_block_op(const BackendOptions& options);

// Collective over `world`: splits it into rings of options.sp ranks and builds the rest.
std::unique_ptr<ring::Backend> make_backend(comm::Communicator& world, const BackendOptions& options);

}  // namespace ra::backend

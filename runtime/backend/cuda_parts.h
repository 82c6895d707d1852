// The CUDA pieces of the composition root, in their own files: cuda_parts.cc when the
// build has CUDA (it includes the toolkit's headers and links cudart, NCCL and the nvcc
// kernels), cuda_parts_absent.cc otherwise (every maker throws, saying so).
#pragma once

#include <memory>

#include "kernels/attention_op.h"
#include "runtime/backend/backend.h"
#include "runtime/device/device.h"
#include "runtime/model/device_transformer.h"
#include "runtime/ring/backend.h"

namespace ra::backend::cuda_parts {

bool built();
// The GPU `ordinal` of this node: a UsageError when it does not exist, a CudaError when
// the driver is missing or broken.
std::unique_ptr<device::Device> make_device(int ordinal);
// The CUDA block operation (nvcc's kernels) launching on `stream` of a device from
// make_device.
std::unique_ptr<kernels::AttentionBlockOp> make_block_op(device::Stream& stream, kernels::cuda::MmaPrecision precision);

// Collective over `world`. Completes `b` for attention.backend = cuda: this rank's GPU
// (node-local rank → ordinal), its streams, the op, and the sp / dp communicators — NCCL
// bootstrapped over `sp_host` / `dp_host` (the host communicators of the same groups),
// or those staged through pinned memory for comm.backend = mpi.
void complete_backend(comm::Communicator& world, const BackendOptions& options,
                      std::unique_ptr<comm::Communicator> sp_host, std::unique_ptr<comm::Communicator> dp_host,
                      ring::Backend& b);

// The device model's parts on `b` (completed by complete_backend): nvcc's ModelKernels,
// a "model" stream of b.device and a cuBLAS handle bound to it, and the gradient
// reductions' stream of the kind `transport`'s communicators take.
std::unique_ptr<model::DeviceModelParts> make_device_model_parts(ring::Backend& b, Transport transport);

}  // namespace ra::backend::cuda_parts

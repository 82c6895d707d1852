// The CUDA pieces of the composition root, in their own files: cuda_parts.cc when the
// build has CUDA (it includes the toolkit's headers and links cudart and the nvcc
// kernels), cuda_parts_absent.cc otherwise (every maker throws, saying so).
#pragma once

#include <memory>

#include "kernels/attention_op.h"
#include "runtime/device/device.h"

namespace ra::backend::cuda_parts {

bool built();
// The GPU `ordinal` of this node: a UsageError when it does not exist, a CudaError when
// the driver is missing or broken.
std::unique_ptr<device::Device> make_device(int ordinal);
// The CUDA block operation (nvcc's kernels) launching on `stream` of a device from
// make_device.
std::unique_ptr<kernels::AttentionBlockOp> make_block_op(device::Stream& stream);

}  // namespace ra::backend::cuda_parts

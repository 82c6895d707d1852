#include "runtime/backend/cuda_parts.h"

#include "kernels/cuda/op/cuda_attention.h"
#include "runtime/device/cuda/cuda_device.h"

namespace ra::backend::cuda_parts {

bool built() { return true; }

std::unique_ptr<device::Device> make_device(int ordinal) {
  device::cuda::CudaDeviceOptions o;
  o.ordinal = ordinal;
  return std::make_unique<device::cuda::CudaDevice>(o);
}

std::unique_ptr<kernels::AttentionBlockOp> make_block_op(device::Stream& stream) {
  kernels::cuda::CudaAttentionOptions o;
  o.stream = stream.native_handle();
  return std::make_unique<kernels::cuda::CudaAttention>(kernels::cuda::nvcc_attention_kernels(), o);
}

}  // namespace ra::backend::cuda_parts

#include "runtime/backend/simt_block_op.h"

#include "kernels/cuda/op/cuda_attention.h"

namespace ra::backend {

std::unique_ptr<kernels::AttentionBlockOp> make_simt_block_op(kernels::cuda::MmaPrecision precision) {
  // No stream: the emulator runs each launch to completion on the calling thread, which
  // for a ring is the compute stream's worker.
  kernels::cuda::CudaAttentionOptions options;
  options.precision = precision;
  return std::make_unique<kernels::cuda::CudaAttention>(kernels::cuda::simt_attention_kernels(), options);
}

}  // namespace ra::backend

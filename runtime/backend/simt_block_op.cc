#include "runtime/backend/simt_block_op.h"

#include "kernels/cuda/op/cuda_attention.h"

namespace ra::backend {

std::unique_ptr<kernels::AttentionBlockOp> make_simt_block_op() {
  // No stream: the emulator runs each launch to completion on the calling thread, which
  // for a ring is the compute stream's worker.
  return std::make_unique<kernels::cuda::CudaAttention>(kernels::cuda::simt_attention_kernels(),
                                                         kernels::cuda::CudaAttentionOptions{});
}

}  // namespace ra::backend

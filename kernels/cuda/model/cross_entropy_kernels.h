// Softmax cross-entropy over the vocabulary (runtime/model/layers.h:
// cross_entropy_forward/backward), one block per row of logits:
//   forward   m = max_c l_c,  lse = m + log Σ_c exp(l_c − m),  loss = lse − l_target
//   backward  dl_c = (exp(l_c − lse) − [c = target]) · scale
// Rows with target −1 have no loss and a zero gradient. The forward keeps lse per row so
// the backward is one pass over the logits instead of three. Max and sum are block tree
// reductions (block_reduce.h) in fp32: with every term ≤ 1 after subtracting the max,
// the sum's relative error is ≈ log₂(vocab)·eps, below the CPU's sequential float sum of
// the same terms. The loss sum and valid-row count over rows are the two-stage reduction
// of reduce_kernels.h (SumReduceParams with values = row_loss, targets = targets).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/model/block_reduce.h"
#include "kernels/cuda/model/device_util.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

template <typename T>
RA_GLOBAL void cross_entropy_forward_kernel(CrossEntropyForwardParams p) {
  const std::int64_t i = blockIdx.x;
  const std::int32_t target = p.targets[i];
  if (target < 0) {  // uniform over the block: no barrier is skipped by some threads only
    if (threadIdx.x == 0) {
      p.row_loss[i] = 0.0f;
      p.row_lse[i] = 0.0f;
    }
    return;
  }
  const T* const l = storage_as<T>(p.logits) + i * p.vocab;
  float m = -__builtin_huge_valf();
  for (std::int64_t c = threadIdx.x; c < p.vocab; c += blockDim.x) m = fmaxf(m, to_f32(l[c]));
  m = block_reduce(m, MaxOp{});
  float s = 0.0f;
  for (std::int64_t c = threadIdx.x; c < p.vocab; c += blockDim.x) s += expf(to_f32(l[c]) - m);
  s = block_reduce(s, SumOp{});
  if (threadIdx.x != 0) return;
  const float lse = m + logf(s);
  p.row_lse[i] = lse;
  p.row_loss[i] = target < p.vocab ? lse - to_f32(l[target]) : model_quiet_nan();
}

// One block per row, threads striding over the vocabulary (no reduction).
template <typename T>
RA_GLOBAL void cross_entropy_backward_kernel(CrossEntropyBackwardParams p) {
  const std::int64_t i = blockIdx.x;
  const std::int32_t target = p.targets[i];
  const T* const l = storage_as<T>(p.logits) + i * p.vocab;
  T* const dl = storage_as<T>(p.dlogits) + i * p.vocab;
  const float lse = target < 0 ? 0.0f : p.row_lse[i];
  for (std::int64_t c = threadIdx.x; c < p.vocab; c += blockDim.x) {
    const float prob = target < 0 ? 0.0f : expf(to_f32(l[c]) - lse);
    const float onehot = c == target ? 1.0f : 0.0f;
    dl[c] = from_f32<T>(target < 0 ? 0.0f : (prob - onehot) * p.scale);
  }
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

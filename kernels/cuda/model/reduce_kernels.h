// Deterministic two-stage sums for the loss and metric reductions and the gradient norm:
//   stage 1: block b sums entries [b·chunk, (b+1)·chunk): thread t takes b·chunk + t,
//            + T, + 2T, … in order, then the block's tree (block_reduce.h) → partial b;
//   stage 2: one block sums the partials the same way → result.
// The grid and chunk depend only on the element count (model_grid.h: reduce_grid), so the
// order of every addition is fixed: the same bits on every run and every GPU. Terms and
// sums are double, like the CPU's loss total and the optimizer's sum of squares (the
// reduction reads 4 bytes per term: memory-bound even at consumer GPUs' fp64 rate).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/model/block_reduce.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_GLOBAL void sum_reduce_partials_kernel(SumReduceParams p, std::int64_t chunk_elems) {
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * chunk_elems;
  const std::int64_t end = begin + chunk_elems < p.elems ? begin + chunk_elems : p.elems;
  double s = 0.0;
  std::int64_t n = 0;
  for (std::int64_t e = begin + threadIdx.x; e < end; e += blockDim.x) {
    const double x = p.values[e];
    s += p.term == ReduceTerm::kSquare ? x * x : x;
    n += p.targets == nullptr || p.targets[e] >= 0 ? 1 : 0;
  }
  s = block_reduce(s, SumOp{});
  n = block_reduce(n, SumOp{});
  if (threadIdx.x == 0) {
    p.partial_sums[blockIdx.x] = s;
    p.partial_counts[blockIdx.x] = n;
  }
}

// One block; partials = stage 1's block count (0 for no elements: result {0, 0}).
RA_GLOBAL void sum_reduce_finish_kernel(SumReduceParams p, std::int64_t partials) {
  double s = 0.0;
  std::int64_t n = 0;
  for (std::int64_t b = threadIdx.x; b < partials; b += blockDim.x) {
    s += p.partial_sums[b];
    n += p.partial_counts[b];
  }
  s = block_reduce(s, SumOp{});
  n = block_reduce(n, SumOp{});
  if (threadIdx.x == 0) {
    p.result->sum = s;
    p.result->count = n;
  }
}

// One thread: the clip factor of the global gradient norm (model_params.h: ClipFactorParams).
RA_GLOBAL void clip_factor_kernel(ClipFactorParams p) {
  const double norm = sqrt(p.grad_sumsq->sum);
  *p.grad_norm = norm;
  *p.clip_scale = p.max_norm > 0 && norm > p.max_norm ? static_cast<float>(p.max_norm / norm) : 1.0f;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

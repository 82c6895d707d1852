// A block-wide reduction in a fixed order, for the model kernels' row sums and maxima and
// their two-stage reductions. Thread t's value goes to slot t of shared memory; then, for
// half = T/2, T/4, …, 1, slot t (t < half) combines slot t + half. The tree depends only
// on blockDim.x (a power of two ≤ kModelMaxBlockThreads, chosen by model_grid.h from the
// shape), never on timing: no atomics, bitwise reproducible. Every thread of the block
// must call it (it has barriers) and gets the result. The slots are the block's dynamic
// shared memory (ModelGrid::shared_bytes: one kModelReduceSlotBytes slot per thread), not
// a static array: the emulator gives each launch its own, so host threads may launch
// these kernels concurrently (the simt backend's streams).
#pragma once

#include <cmath>

#include "kernels/cuda/host/model_grid.h"
#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

struct SumOp {
  template <typename A>
  RA_DEVICE A operator()(A a, A b) const {
    return a + b;
  }
};

struct MaxOp {
  RA_DEVICE float operator()(float a, float b) const { return fmaxf(a, b); }
};

template <typename A, typename Op>
RA_DEVICE A block_reduce(A v, Op op) {
  static_assert(sizeof(A) <= kModelReduceSlotBytes, "a reduction slot holds at most 8 bytes");
  RA_DYNAMIC_SHARED(A, slots);
  const unsigned t = threadIdx.x;
  slots[t] = v;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) slots[t] = op(slots[t], slots[t + half]);
    __syncthreads();
  }
  const A result = slots[0];
  __syncthreads();  // the slots are free for the next reduction
  return result;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

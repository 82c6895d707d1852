// The per-row kernels of the attention block operation: init_state, finalize,
// backward_prepare (Dsum) and merge. One thread per (query row, head); it walks the
// row's D elements in order — the same operations in the same order as the CPU
// implementation (kernels/cpu/cpu_attention.cc), so under the emulator the results are
// bitwise equal, and on a GPU they differ only by nvcc's fused multiply-adds.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/row_params.h"
#include "kernels/cuda/storage_types.h"
#include "kernels/numerics.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

// Thread → (row r, head h), or false past the end. Rows of statistics are h·Lq + r.
RA_DEVICE bool row_of_thread(const RowShape& s, std::int32_t& r, std::int32_t& h) {
  const auto t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= static_cast<std::int64_t>(s.lq) * s.hq) return false;
  h = static_cast<std::int32_t>(t / s.lq);
  r = static_cast<std::int32_t>(t % s.lq);
  return true;
}

RA_GLOBAL void init_state_kernel(InitStateParams p) {
  std::int32_t r = 0, h = 0;
  if (!row_of_thread(p.shape, r, h)) return;
  const std::int64_t row = static_cast<std::int64_t>(h) * p.shape.lq + r;
  p.row_max[row] = numerics::neg_inf();
  p.row_sum[row] = 0.0f;
  float* acc = p.acc + (static_cast<std::int64_t>(r) * p.shape.hq + h) * p.shape.d;
  for (std::int32_t c = 0; c < p.shape.d; ++c) acc[c] = 0.0f;
}

template <typename T>
RA_GLOBAL void finalize_kernel(FinalizeParams p) {
  std::int32_t r = 0, h = 0;
  if (!row_of_thread(p.shape, r, h)) return;
  const std::int64_t row = static_cast<std::int64_t>(h) * p.shape.lq + r;
  const float sum = p.row_sum[row];
  const bool empty = sum == 0.0f;
  p.lse[row] = empty ? numerics::neg_inf() : p.row_max[row] + logf(sum);
  const float inv = empty ? 0.0f : 1.0f / sum;
  T* const o = storage_as<T>(p.o);
  const std::int64_t base = (static_cast<std::int64_t>(r) * p.shape.hq + h) * p.shape.d;
  for (std::int32_t c = 0; c < p.shape.d; ++c) o[base + c] = from_f32<T>(empty ? 0.0f : p.acc[base + c] * inv);
}

template <typename T>
RA_GLOBAL void prepare_kernel(PrepareParams p) {
  std::int32_t r = 0, h = 0;
  if (!row_of_thread(p.shape, r, h)) return;
  const std::int64_t base = (static_cast<std::int64_t>(r) * p.shape.hq + h) * p.shape.d;
  const T* const o = storage_as<T>(p.o);
  const T* const dout = storage_as<T>(p.dout);
  float s = 0.0f;
  for (std::int32_t c = 0; c < p.shape.d; ++c) s += to_f32(o[base + c]) * to_f32(dout[base + c]);
  p.dsum[static_cast<std::int64_t>(h) * p.shape.lq + r] = s;
}

// merge(x, -inf) leaves x bitwise; merge(-inf, -inf) = (0, -inf) (numerics::merge_weights).
RA_GLOBAL void merge_kernel(MergeParams p) {
  std::int32_t r = 0, h = 0;
  if (!row_of_thread(p.shape, r, h)) return;
  const std::int64_t row = static_cast<std::int64_t>(h) * p.shape.lq + r;
  const numerics::MergeWeights w = numerics::merge_weights(p.lse_a[row], p.lse_b[row]);
  p.lse_a[row] = w.lse;
  float* oa = p.o_a + (static_cast<std::int64_t>(r) * p.shape.hq + h) * p.shape.d;
  const float* ob = p.o_b + (static_cast<std::int64_t>(r) * p.shape.hq + h) * p.shape.d;
  for (std::int32_t c = 0; c < p.shape.d; ++c) {
    switch (w.which) {
      case numerics::MergeCase::kOnlyA: break;
      case numerics::MergeCase::kOnlyB: oa[c] = ob[c]; break;
      case numerics::MergeCase::kNeither: oa[c] = 0.0f; break;
      case numerics::MergeCase::kBoth: oa[c] = w.w_a * oa[c] + w.w_b * ob[c]; break;
    }
  }
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

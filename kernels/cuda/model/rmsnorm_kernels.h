// RMSNorm forward and backward (runtime/model/layers.h: rmsnorm_forward/backward).
//
//   forward:   r = 1/sqrt(Σ_c x_c² / d + eps),  y_c = x_c · r · g_c        (one block per row)
//   backward:  with u = g∘dy,  ∂r/∂x_c = −r³·x_c/d:
//              dx_c += r·u_c − k·x_c,  k = r³·(Σ_c x_c·u_c)/d
//              dg_c += Σ_rows dy_c·x_c·r
// The row sums are block tree sums (block_reduce.h); the CPU sums sequentially, so results
// agree within the numerics policy, not bitwise. dg is a column sum over rows: block b owns
// rows [b·R, (b+1)·R) and one partial row of dg (each thread its own columns), and a second
// kernel adds the partial rows in block order — the same sums on every run, no atomics.
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
RA_GLOBAL void rmsnorm_forward_kernel(RmsNormForwardParams p) {
  const std::int64_t i = blockIdx.x, d = p.row_elems;
  const T* const x = storage_as<T>(p.x) + i * d;
  T* const y = storage_as<T>(p.y) + i * d;
  float ss = 0.0f;
  for (std::int64_t c = threadIdx.x; c < d; c += blockDim.x) ss += to_f32(x[c]) * to_f32(x[c]);
  ss = block_reduce(ss, SumOp{});
  const float r = 1.0f / sqrtf(ss / static_cast<float>(d) + p.eps);
  if (threadIdx.x == 0) p.r[i] = r;
  for (std::int64_t c = threadIdx.x; c < d; c += blockDim.x) y[c] = from_f32<T>(to_f32(x[c]) * r * p.g[c]);
}

// Block b: rows [b·rows_per_block, …); partial row b of dg in dg_partials.
template <typename T>
RA_GLOBAL void rmsnorm_backward_rows_kernel(RmsNormBackwardParams p, std::int64_t rows_per_block) {
  const std::int64_t d = p.row_elems;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * rows_per_block;
  const std::int64_t end = begin + rows_per_block < p.n_rows ? begin + rows_per_block : p.n_rows;
  float* const partial = p.dg_partials + static_cast<std::int64_t>(blockIdx.x) * d;
  for (std::int64_t c = threadIdx.x; c < d; c += blockDim.x) partial[c] = 0.0f;  // each thread its own columns
  for (std::int64_t i = begin; i < end; ++i) {
    const T* const x = storage_as<T>(p.x) + i * d;
    const T* const dy = storage_as<T>(p.dy) + i * d;
    const float r = p.r[i];
    float dot = 0.0f;
    for (std::int64_t c = threadIdx.x; c < d; c += blockDim.x) dot += to_f32(x[c]) * p.g[c] * to_f32(dy[c]);
    dot = block_reduce(dot, SumOp{});
    const float k = r * r * r * dot / static_cast<float>(d);
    float* const dx = p.dx + i * d;
    for (std::int64_t c = threadIdx.x; c < d; c += blockDim.x) {
      const float xc = to_f32(x[c]), dyc = to_f32(dy[c]);
      dx[c] += r * p.g[c] * dyc - k * xc;
      partial[c] += dyc * xc * r;
    }
  }
}

// dg_c += Σ_b partial[b, c], b in increasing order; one thread per column.
RA_GLOBAL void rmsnorm_backward_dg_kernel(RmsNormBackwardParams p, std::int64_t partial_rows) {
  const std::int64_t c = global_thread_index();
  if (c >= p.row_elems) return;
  float s = 0.0f;
  for (std::int64_t b = 0; b < partial_rows; ++b) s += p.dg_partials[b * p.row_elems + c];
  p.dg[c] += s;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

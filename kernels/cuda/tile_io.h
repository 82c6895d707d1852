// Block-cooperative copies between global memory and the shared-memory tiles of the
// attention kernels. Rows past the end of the tensor are zero (scores of zero rows are
// finite, so nothing downstream can become NaN); metadata past the end is padding
// (segment -1), which the per-element mask never shows.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"
#include "kernels/numerics.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_DEVICE int block_thread() { return static_cast<int>(threadIdx.x); }
RA_DEVICE int block_threads() { return static_cast<int>(blockDim.x); }

// dst[r][c] = src[(r0 + r) · heads + head][c] for r < n, else 0; dst is [rows][D].
template <typename T, int D>
RA_DEVICE void load_head_rows(T* dst, const T* src, int r0, int n, int rows, int heads, int head) {
  for (int e = block_thread(); e < rows * D; e += block_threads()) {
    const int r = e / D, c = e % D;
    dst[e] = r < n ? src[(static_cast<std::int64_t>(r0 + r) * heads + head) * D + c] : from_f32<T>(0.0f);
  }
}

// f32 rows of one head, both directions: the accumulators of the kernels.
template <int D>
RA_DEVICE void load_head_rows_f32(float* dst, const float* src, int r0, int n, int rows, int heads, int head) {
  for (int e = block_thread(); e < rows * D; e += block_threads()) {
    const int r = e / D, c = e % D;
    dst[e] = r < n ? src[(static_cast<std::int64_t>(r0 + r) * heads + head) * D + c] : 0.0f;
  }
}

template <int D>
RA_DEVICE void store_head_rows_f32(float* dst, const float* src, int r0, int n, int heads, int head) {
  for (int e = block_thread(); e < n * D; e += block_threads()) {
    const int r = e / D, c = e % D;
    dst[(static_cast<std::int64_t>(r0 + r) * heads + head) * D + c] = src[e];
  }
}

// dst[(r0 + r) · heads + head][c] += src[r][c] for r < n: gradients accumulate across calls.
template <int D>
RA_DEVICE void add_head_rows_f32(float* dst, const float* src, int r0, int n, int heads, int head) {
  for (int e = block_thread(); e < n * D; e += block_threads()) {
    const int r = e / D, c = e % D;
    dst[(static_cast<std::int64_t>(r0 + r) * heads + head) * D + c] += src[e];
  }
}

template <int D>
RA_DEVICE void zero_f32(float* dst, int rows) {
  for (int e = block_thread(); e < rows * D; e += block_threads()) dst[e] = 0.0f;
}

// Positions and segments of tokens [r0, r0 + n); rows up to `rows` are padding.
RA_DEVICE void load_meta(std::int32_t* pos, std::int32_t* seg, const std::int32_t* pos_src, const std::int32_t* seg_src,
                         int r0, int n, int rows) {
  for (int r = block_thread(); r < rows; r += block_threads()) {
    pos[r] = r < n ? pos_src[r0 + r] : 0;
    seg[r] = r < n ? seg_src[r0 + r] : -1;
  }
}

// One per-row f32 statistic ([Hq, Lq] layout) of rows [r0, r0 + n); `fill` past the end.
RA_DEVICE void load_row_stat(float* dst, const float* src, int r0, int n, int rows, float fill) {
  for (int r = block_thread(); r < rows; r += block_threads()) dst[r] = r < n ? src[r0 + r] : fill;
}

// The visible-pair test of one score element, for a tile that is not empty: a full tile
// needs no per-element mask, but its ragged edge (c ≥ n_cols, r ≥ n_rows) is never seen.
struct TileMask {
  numerics::MaskRule rule;
  numerics::TileClass cls;
  int n_rows, n_cols;
  const std::int32_t* pos_q;
  const std::int32_t* seg_q;
  const std::int32_t* pos_k;
  const std::int32_t* seg_k;
};

RA_DEVICE bool tile_visible(const TileMask& m, int r, int c) {
  if (r >= m.n_rows || c >= m.n_cols) return false;
  return m.cls == numerics::TileClass::kFull ||
         numerics::visible(m.rule, m.pos_q[r], m.seg_q[r], m.pos_k[c], m.seg_k[c]);
}

// scale · (q·k) plus the ALiBi bias of a visible pair.
RA_DEVICE float biased_score(float dot, float scale, float slope, const TileMask& m, int r, int c) {
  const float s = dot * scale;
  return slope != 0.0f ? s + numerics::alibi_bias(slope, m.pos_q[r], m.pos_k[c]) : s;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

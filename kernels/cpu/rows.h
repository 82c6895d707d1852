// Rows of one head of a [L, H, D] tensor as contiguous-enough f32 for the GEMM. f32 storage
// is used in place (leading dimension H*D); 16-bit storage is widened into scratch once per
// tile, which costs O(rows * D) against the O(rows * cols * D) GEMM work it feeds.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "runtime/core/tensor_view.h"

namespace ra::kernels::cpu {

struct RowsF32 {
  const float* data;
  std::int64_t ld;  // elements between consecutive rows

  // The first `rows` rows, `cols` wide, as a GEMM operand.
  gemm::RowMajor<const float> matrix(std::int64_t rows, std::int64_t cols) const { return {data, rows, cols, ld}; }
};

// Rows of one head of a bf16 [L, H, D] tensor as stored, for the bf16 GEMM.
struct RowsBf16 {
  const bf16* data;
  std::int64_t ld;

  gemm::RowMajor<const bf16> matrix(std::int64_t rows, std::int64_t cols) const { return {data, rows, cols, ld}; }
};

inline RowsBf16 head_rows_bf16(const ConstTensorView& t, std::int64_t row0, std::int64_t head) {
  const std::int64_t h = t.dim(1), d = t.dim(2);
  return {t.data<bf16>() + (row0 * h + head) * d, h * d};
}

// rows × cols of an f32 tile (stride ld) rounded to bf16 into `out` (same stride): P and
// dS before their bf16 products.
inline gemm::RowMajor<const bf16> rounded_to_bf16(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                                                  std::vector<bf16>& out) {
  out.resize(static_cast<std::size_t>(rows * ld));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * ld;
    bf16* dst = out.data() + r * ld;
#pragma omp simd
    for (std::int64_t c = 0; c < cols; ++c) dst[c] = to_bf16(src[c]);
  }
  return {out.data(), rows, cols, ld};
}

// Rows [row0, row0 + rows) of head `head` of t ([L, H, D], f32, bf16 or f16).
inline RowsF32 head_rows(const ConstTensorView& t, std::int64_t row0, std::int64_t rows, std::int64_t head,
                         std::vector<float>& scratch) {
  const std::int64_t h = t.dim(1), d = t.dim(2);
  const std::int64_t offset = (row0 * h + head) * d;
  if (t.dtype() == DType::kF32) return {t.data<float>() + offset, h * d};
  scratch.resize(static_cast<std::size_t>(rows * d));
  visit_float_storage(t.dtype(), [&](auto type) {
    using T = decltype(type);
    const T* src = static_cast<const T*>(t.raw()) + offset;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < d; ++c) scratch[static_cast<std::size_t>(r * d + c)] = to_float(src[r * h * d + c]);
  });
  return {scratch.data(), d};
}

// The whole of a 16-bit tensor widened to f32 (a view of `out`), or `t` itself when it is
// already f32. For operands every task re-reads (the backward's Q and dO), widening once
// costs one f32 copy of the tensor instead of a conversion per task.
inline ConstTensorView widened(const ConstTensorView& t, std::vector<float>& out) {
  if (t.dtype() == DType::kF32) return t;
  out.resize(static_cast<std::size_t>(t.numel_elems()));
  visit_float_storage(t.dtype(), [&](auto type) {
    using T = decltype(type);
    const T* src = static_cast<const T*>(t.raw());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = to_float(src[i]);
  });
  return ConstTensorView(out.data(), DType::kF32, t.shape());
}

}  // namespace ra::kernels::cpu

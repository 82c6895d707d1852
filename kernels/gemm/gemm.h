// The one GEMM of the CPU code: the attention kernels (kernels/cpu) and the model's layers
// (runtime/model) both multiply through it,
//
//   C = alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ,
//
// on row-major matrices. The interface names no BLAS type: what is behind it (OpenBLAS
// today) can be swapped without touching a caller.
#pragma once

#include <cstdint>

namespace ra::gemm {

enum class Transpose : std::uint8_t { kNo, kYes };

// A row-major matrix as it is stored (before any transpose): `rows` × `cols` elements,
// row r starting `r · ld_elems` elements after `data`. ld_elems ≥ cols: a tile of a wider
// matrix (one head of [L, H, D], one tile of a score buffer) keeps its parent's stride.
template <typename T>
struct RowMajor {
  T* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t ld_elems = 0;
};

// A matrix whose rows follow each other without a gap (ld_elems = cols).
template <typename T>
RowMajor<T> dense(T* data, std::int64_t rows, std::int64_t cols) {
  return {data, rows, cols, cols};
}

// C = alpha · op(A) · op(B) + beta · C. op(A) must be c.rows × k and op(B) k × c.cols
// (a mismatch, or a stride shorter than its row, is an ra::InternalError: a caller's
// bug). An empty C is left alone; with k = 0, C = beta · C. f64 serves the model's
// finite-difference and reference checks.
void multiply(float alpha, RowMajor<const float> a, Transpose trans_a, RowMajor<const float> b, Transpose trans_b,
              float beta, RowMajor<float> c);
void multiply(double alpha, RowMajor<const double> a, Transpose trans_a, RowMajor<const double> b, Transpose trans_b,
              double beta, RowMajor<double> c);

// The attention kernels parallelize over tiles themselves: the GEMM must run
// single-threaded inside each call or the two levels of threads would oversubscribe the
// cores. Process-wide and idempotent; the CPU attention op calls it when constructed.
void ensure_single_threaded();

}  // namespace ra::gemm

#include "kernels/gemm/gemm.h"

#include <cblas.h>

#include <limits>
#include <mutex>

#include "runtime/core/check.h"

namespace ra::gemm {
namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::kYes ? CblasTrans : CblasNoTrans; }

// OpenBLAS takes its sizes as blasint (32-bit in Debian's build): a larger size would
// wrap silently, so it is refused instead.
blasint to_blas(std::int64_t x) {
  RA_CHECK_LE(InternalError, x, std::int64_t{std::numeric_limits<blasint>::max()}, "a GEMM size beyond the BLAS's int");
  return static_cast<blasint>(x);
}

template <typename T>
std::int64_t op_rows(const RowMajor<T>& x, Transpose t) {
  return t == Transpose::kNo ? x.rows : x.cols;
}
template <typename T>
std::int64_t op_cols(const RowMajor<T>& x, Transpose t) {
  return t == Transpose::kNo ? x.cols : x.rows;
}

struct Sizes {
  blasint m, n, k, lda, ldb, ldc;
};

template <typename T>
Sizes checked_sizes(const RowMajor<const T>& a, Transpose trans_a, const RowMajor<const T>& b, Transpose trans_b,
                    const RowMajor<T>& c) {
  RA_CHECK_EQ(InternalError, op_rows(a, trans_a), c.rows, "GEMM: rows of op(A) and of C");
  RA_CHECK_EQ(InternalError, op_cols(b, trans_b), c.cols, "GEMM: columns of op(B) and of C");
  RA_CHECK_EQ(InternalError, op_cols(a, trans_a), op_rows(b, trans_b), "GEMM: the inner dimension of op(A) and op(B)");
  RA_CHECK_GE(InternalError, a.ld_elems, a.cols, "GEMM: the stride of A");
  RA_CHECK_GE(InternalError, b.ld_elems, b.cols, "GEMM: the stride of B");
  RA_CHECK_GE(InternalError, c.ld_elems, c.cols, "GEMM: the stride of C");
  return {to_blas(c.rows),     to_blas(c.cols),     to_blas(op_cols(a, trans_a)),
          to_blas(a.ld_elems), to_blas(b.ld_elems), to_blas(c.ld_elems)};
}

// One body for both precisions; `blas_gemm` is cblas_sgemm or cblas_dgemm.
template <typename T, typename BlasGemm>
void multiply_with(BlasGemm blas_gemm, T alpha, const RowMajor<const T>& a, Transpose trans_a,
                   const RowMajor<const T>& b, Transpose trans_b, T beta, const RowMajor<T>& c) {
  const Sizes s = checked_sizes(a, trans_a, b, trans_b, c);
  if (s.m == 0 || s.n == 0) return;
  blas_gemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), s.m, s.n, s.k, alpha, a.data, s.lda, b.data, s.ldb,
            beta, c.data, s.ldc);
}

}  // namespace

void multiply(float alpha, RowMajor<const float> a, Transpose trans_a, RowMajor<const float> b, Transpose trans_b,
              float beta, RowMajor<float> c) {
  multiply_with(&cblas_sgemm, alpha, a, trans_a, b, trans_b, beta, c);
}

void multiply(double alpha, RowMajor<const double> a, Transpose trans_a, RowMajor<const double> b, Transpose trans_b,
              double beta, RowMajor<double> c) {
  multiply_with(&cblas_dgemm, alpha, a, trans_a, b, trans_b, beta, c);
}

void ensure_single_threaded() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace ra::gemm

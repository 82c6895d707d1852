// The one GEMM (kernels/gemm/gemm.h) against a triple loop: every transpose pair, strided
// operands, alpha and beta, both precisions; small integers keep every sum exact.
#include "kernels/gemm/gemm.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/core/error.h"

namespace ra::gemm {
namespace {

// Element (i, j) of the stored matrix x (row-major, stride ld), transposed if asked.
template <typename T>
T at(const std::vector<T>& x, std::int64_t ld, Transpose t, std::int64_t i, std::int64_t j) {
  return t == Transpose::kNo ? x[static_cast<std::size_t>(i * ld + j)] : x[static_cast<std::size_t>(j * ld + i)];
}

template <typename T>
std::vector<T> filled(std::size_t n, int seed) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<T>(static_cast<int>((i * 7 + static_cast<std::size_t>(seed)) % 11) - 5);
  return v;
}

template <typename T>
void check_all_transposes() {
  constexpr std::int64_t m = 5, n = 3, k = 4, pad = 2;  // every stride 2 wider than its row
  for (const Transpose ta : {Transpose::kNo, Transpose::kYes}) {
    for (const Transpose tb : {Transpose::kNo, Transpose::kYes}) {
      const std::int64_t a_rows = ta == Transpose::kNo ? m : k, a_cols = ta == Transpose::kNo ? k : m;
      const std::int64_t b_rows = tb == Transpose::kNo ? k : n, b_cols = tb == Transpose::kNo ? n : k;
      const std::int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
      const auto a = filled<T>(static_cast<std::size_t>(a_rows * lda), 1);
      const auto b = filled<T>(static_cast<std::size_t>(b_rows * ldb), 2);
      auto c = filled<T>(static_cast<std::size_t>(m * ldc), 3);
      std::vector<T> expect = c;
      const T alpha = 2, beta = 3;
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          T dot = 0;
          for (std::int64_t p = 0; p < k; ++p) dot += at(a, lda, ta, i, p) * at(b, ldb, tb, p, j);
          T& e = expect[static_cast<std::size_t>(i * ldc + j)];
          e = alpha * dot + beta * e;
        }
      }
      multiply(alpha, {a.data(), a_rows, a_cols, lda}, ta, {b.data(), b_rows, b_cols, ldb}, tb, beta,
               {c.data(), m, n, ldc});
      EXPECT_EQ(c, expect) << "trans_a " << static_cast<int>(ta) << " trans_b " << static_cast<int>(tb)
                           << " (the padding between rows must be left alone too)";
    }
  }
}

TEST(Gemm, F32MatchesATripleLoopForEveryTransposePair) { check_all_transposes<float>(); }
TEST(Gemm, F64MatchesATripleLoopForEveryTransposePair) { check_all_transposes<double>(); }

TEST(Gemm, ZeroInnerDimensionScalesCByBeta) {
  std::vector<float> c{1, 2, 3, 4};
  const float unused = 0;
  multiply(1.0f, {&unused, 2, 0, 1}, Transpose::kNo, {&unused, 0, 2, 2}, Transpose::kNo, 0.5f, dense(c.data(), 2, 2));
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1, 1.5f, 2}));
}

TEST(Gemm, MismatchedShapesAreAnInternalError) {
  std::vector<float> a(6), b(6), c(4);
  // op(A) is 2 x 3 but op(B) is 2 x 3 too: the inner dimensions 3 and 2 differ.
  EXPECT_THROW(multiply(1.0f, dense<const float>(a.data(), 2, 3), Transpose::kNo, dense<const float>(b.data(), 2, 3),
                        Transpose::kNo, 0.0f, dense(c.data(), 2, 2)),
               InternalError);
  // A stride shorter than its row.
  EXPECT_THROW(multiply(1.0f, {a.data(), 2, 3, 2}, Transpose::kNo, dense<const float>(b.data(), 3, 2), Transpose::kNo,
                        0.0f, dense(c.data(), 2, 2)),
               InternalError);
}

}  // namespace
}  // namespace ra::gemm

// The one GEMM (kernels/gemm/gemm.h) against a triple loop: every transpose pair, strided
// operands, alpha and beta, both precisions; small integers keep every sum exact. Then
// the f32 path (oneDNN) on random values against an f64 triple loop within the fp32
// accumulation bound, its edge cases (k = 0, alpha = 0, empty C, NaN in a C that beta = 0
// must not read), its primitive cache and its independence of the calling thread; and the
// OpenBLAS core check (openblas_core.h) as the pure function it is.
#include "kernels/gemm/gemm.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "kernels/gemm/openblas_core.h"
#include "runtime/core/dtype.h"
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

// ---- the f32 path on random values -------------------------------------------------------

struct Case {
  std::int64_t m, n, k;
  Transpose ta, tb;
  std::int64_t pad;  // every stride this much wider than its row
  float alpha, beta;
};

std::string describe(const Case& c) {
  return std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) + " ta " +
         std::to_string(static_cast<int>(c.ta)) + " tb " + std::to_string(static_cast<int>(c.tb)) + " pad " +
         std::to_string(c.pad) + " alpha " + std::to_string(c.alpha) + " beta " + std::to_string(c.beta);
}

// Runs one case against an f64 triple loop on the same inputs (f32, or bf16: random
// values rounded to bf16, all normal). Tolerance: the fp32 bound for a k-term dot
// product plus the alpha/beta step, |err| ≤ γ_{k+2} · (|alpha| Σ_p |a_ip b_pj| + |beta
// c_ij|), γ_n = n·u/(1 − n·u), u = 2⁻²⁴, whatever the summation order the kernel chose
// (bf16 products are exact in fp32, so the same bound holds for bf16 inputs). Padding is
// NaN in A and B (must not be read) and a sentinel in C (must not be written).
template <typename In>
void check_random_case(const Case& cs, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), sentinel = 12345.0f;
  const std::int64_t a_rows = cs.ta == Transpose::kNo ? cs.m : cs.k, a_cols = cs.ta == Transpose::kNo ? cs.k : cs.m;
  const std::int64_t b_rows = cs.tb == Transpose::kNo ? cs.k : cs.n, b_cols = cs.tb == Transpose::kNo ? cs.n : cs.k;
  const std::int64_t lda = a_cols + cs.pad, ldb = b_cols + cs.pad, ldc = cs.n + cs.pad;
  const auto fill = [&](std::int64_t rows, std::int64_t cols, std::int64_t ld, float pad_value) {
    std::vector<float> v(static_cast<std::size_t>(rows * ld), pad_value);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < cols; ++j) v[static_cast<std::size_t>(r * ld + j)] = dist(rng);
    return v;
  };
  const auto stored = [](const std::vector<float>& v) {
    std::vector<In> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = from_float<In>(v[i]);
    return out;
  };
  const auto a = stored(fill(a_rows, a_cols, lda, nan)), b = stored(fill(b_rows, b_cols, ldb, nan));
  auto c = fill(cs.m, cs.n, ldc, sentinel);
  const auto c0 = c;
  multiply(cs.alpha, {a.data(), a_rows, a_cols, lda}, cs.ta, {b.data(), b_rows, b_cols, ldb}, cs.tb, cs.beta,
           {c.data(), cs.m, cs.n, ldc});
  const double u = std::ldexp(1.0, -24), n_terms = static_cast<double>(cs.k + 2);
  const double gamma = n_terms * u / (1.0 - n_terms * u);
  for (std::int64_t i = 0; i < cs.m; ++i) {
    for (std::int64_t j = 0; j < cs.n; ++j) {
      double dot = 0, abs_dot = 0;
      for (std::int64_t p = 0; p < cs.k; ++p) {
        const double t = static_cast<double>(to_float(at(a, lda, cs.ta, i, p))) *
                         static_cast<double>(to_float(at(b, ldb, cs.tb, p, j)));
        dot += t;
        abs_dot += std::abs(t);
      }
      const double old = c0[static_cast<std::size_t>(i * ldc + j)];
      const double want = cs.alpha * dot + (cs.beta == 0.0f ? 0.0 : cs.beta * old);
      const double bound = gamma * (std::abs(cs.alpha) * abs_dot + std::abs(cs.beta * old));
      const double got = c[static_cast<std::size_t>(i * ldc + j)];
      ASSERT_LE(std::abs(got - want), bound) << describe(cs) << " at (" << i << ", " << j << ")";
    }
    for (std::int64_t j = cs.n; j < ldc; ++j)
      ASSERT_EQ(c[static_cast<std::size_t>(i * ldc + j)], sentinel) << describe(cs) << ": padding of C written";
  }
}

template <typename In>
void check_random_cases() {
  std::mt19937 rng(7);
  // Shapes of the attention tiles (256x256x64, 128x64x128, ...), odd ones that leave
  // remainders in every blocking, and degenerate rows/columns of one element.
  const std::int64_t shapes[][3] = {{256, 256, 64}, {128, 64, 128}, {37, 53, 71}, {1, 17, 9}, {19, 1, 33}, {5, 3, 1}};
  const std::pair<float, float> scalings[] = {{1.0f, 0.0f}, {0.125f, 1.0f}, {-2.0f, 0.5f}};
  for (const auto& sh : shapes)
    for (const Transpose ta : {Transpose::kNo, Transpose::kYes})
      for (const Transpose tb : {Transpose::kNo, Transpose::kYes})
        for (const std::int64_t pad : {0, 3})
          for (const auto& [alpha, beta] : scalings) {
            check_random_case<In>({sh[0], sh[1], sh[2], ta, tb, pad, alpha, beta}, rng);
            if (::testing::Test::HasFatalFailure()) return;
          }
}

TEST(GemmF32, RandomValuesMatchAnF64ReferenceWithinTheFp32Bound) { check_random_cases<float>(); }
TEST(GemmBf16, RandomValuesMatchAnF64ReferenceWithinTheFp32Bound) { check_random_cases<bf16>(); }

// The kernels behind bf16: native where the CPU has bf16 dot products. The ctest entry
// kernels_gemm_test_avx2 runs this program with oneDNN capped at AVX2
// (ONEDNN_MAX_CPU_ISA), where the widening path must run, and so is tested, here too.
TEST(GemmBf16, NativeExactlyWhereOnednnHasBf16Kernels) {
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (cap != nullptr && std::string(cap) == "AVX2") {
    EXPECT_FALSE(bf16_is_native()) << backend_summary();
  } else if (__builtin_cpu_supports("avx512bf16")) {
    EXPECT_TRUE(bf16_is_native()) << backend_summary();
  }
  const std::string s = backend_summary();
  EXPECT_NE(s.find(bf16_is_native() ? "bf16: oneDNN" : "bf16: widened"), std::string::npos) << s;
}

TEST(GemmF32, BetaZeroDoesNotReadC) {
  const std::vector<float> a{1, 2, 3, 4}, b{1, 0, 0, 1};
  std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
  multiply(1.0f, dense(a.data(), 2, 2), Transpose::kNo, dense(b.data(), 2, 2), Transpose::kNo, 0.0f,
           dense(c.data(), 2, 2));
  EXPECT_EQ(c, a);
}

TEST(GemmF32, ZeroInnerDimensionOrAlphaLeavesBetaTimesC) {
  const float unused = 0;
  for (const float beta : {0.0f, 1.0f, -3.0f}) {
    std::vector<float> c{1, 2, std::numeric_limits<float>::quiet_NaN(), 4, 5, 6};
    // k = 0 on a strided C (ld 3, 2 columns): the third element is padding.
    multiply(1.0f, {&unused, 2, 0, 0}, Transpose::kNo, {&unused, 0, 2, 2}, Transpose::kNo, beta, {c.data(), 2, 2, 3});
    EXPECT_EQ(c[0], 1 * beta);
    EXPECT_EQ(c[1], 2 * beta);
    EXPECT_TRUE(std::isnan(c[2])) << "padding written";
    EXPECT_EQ(c[3], 4 * beta);
    EXPECT_EQ(c[4], 5 * beta);
    // alpha = 0: A·B is not formed (an inf in A does not turn C into NaN).
    std::vector<float> c2{1, 2};
    const std::vector<float> a{std::numeric_limits<float>::infinity()}, b{0, 1};
    multiply(0.0f, dense(a.data(), 1, 1), Transpose::kNo, dense(b.data(), 1, 2), Transpose::kNo, beta,
             dense(c2.data(), 1, 2));
    EXPECT_EQ(c2, (std::vector<float>{1 * beta, 2 * beta}));
  }
}

TEST(GemmF32, EmptyCIsLeftAlone) {
  const std::vector<float> a(6, 1.0f), b(6, 1.0f);
  // 0 x 2 and 2 x 0 results: nothing to write, and no pointer into C is formed.
  multiply(1.0f, dense(a.data(), 0, 3), Transpose::kNo, dense(b.data(), 3, 2), Transpose::kNo, 0.0f,
           dense<float>(nullptr, 0, 2));
  multiply(1.0f, dense(a.data(), 2, 3), Transpose::kNo, dense(b.data(), 3, 0), Transpose::kNo, 0.0f,
           dense<float>(nullptr, 2, 0));
  SUCCEED();
}

// A shape used nowhere else in this test program, so its primitive is created here.
void multiply_unique_shape(float alpha, std::vector<float>& c) {
  static const std::vector<float> a(3 * 11, 0.5f), b(11 * 7, 0.25f);
  multiply(alpha, dense(a.data(), 3, 11), Transpose::kNo, dense(b.data(), 11, 7), Transpose::kNo, 0.0f,
           {c.data(), 3, 7, 13});
}

TEST(GemmF32, APrimitiveIsCreatedOncePerShapeAndReused) {
  std::vector<float> c(3 * 13);
  const std::int64_t before = primitives_created();
  multiply_unique_shape(1.0f, c);
  EXPECT_EQ(primitives_created(), before + 1) << "the first call of a shape creates its primitive";
  for (int i = 0; i < 5; ++i) multiply_unique_shape(1.0f, c);
  EXPECT_EQ(primitives_created(), before + 1) << "later calls of the shape reuse it";
  EXPECT_EQ(c[0], 11 * 0.5f * 0.25f);
  multiply_unique_shape(2.0f, c);
  EXPECT_EQ(primitives_created(), before + 2) << "another alpha is another primitive";
  EXPECT_EQ(c[0], 2 * 11 * 0.5f * 0.25f);
  multiply_unique_shape(1.0f, c);
  EXPECT_EQ(primitives_created(), before + 2);
}

// The result does not depend on the thread that computes it, nor on that thread's
// OpenMP setting: every call runs on one thread, with the primitive made for one thread.
TEST(GemmF32, ResultIsBitwiseTheSameOnAnotherThreadWithAnotherOpenmpSetting) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(200 * 96), b(96 * 160);
  for (float& x : a) x = dist(rng);
  for (float& x : b) x = dist(rng);
  const auto run = [&] {
    std::vector<float> c(200 * 160, 1.0f);
    multiply(0.125f, dense<const float>(a.data(), 200, 96), Transpose::kNo, dense<const float>(b.data(), 96, 160),
             Transpose::kNo, 1.0f, dense(c.data(), 200, 160));
    return c;
  };
  const std::vector<float> here = run();
  std::vector<float> there;
  int threads_after = 0;
  std::thread t([&] {
    omp_set_num_threads(2);
    there = run();
    threads_after = omp_get_max_threads();
  });
  t.join();
  EXPECT_EQ(here, there);
  EXPECT_EQ(threads_after, 1) << "the GEMM runs single-threaded in the calling thread";
}

TEST(Gemm, BackendSummaryNamesBothLibraries) {
  const std::string s = backend_summary();
  EXPECT_NE(s.find("oneDNN"), std::string::npos) << s;
  EXPECT_NE(s.find("OpenBLAS"), std::string::npos) << s;
}

// ---- OpenBLAS's core against the CPU -------------------------------------------------------

TEST(OpenblasCore, LevelsOfKnownCoresAndUnknownNames) {
  EXPECT_EQ(openblas_core_level("Prescott"), SimdLevel::kSse);
  EXPECT_EQ(openblas_core_level("core2"), SimdLevel::kSse);
  EXPECT_EQ(openblas_core_level("Sandybridge"), SimdLevel::kAvx);
  EXPECT_EQ(openblas_core_level("Haswell"), SimdLevel::kAvx2);
  EXPECT_EQ(openblas_core_level("ZEN"), SimdLevel::kAvx2);
  EXPECT_EQ(openblas_core_level("SkylakeX"), SimdLevel::kAvx512);
  EXPECT_EQ(openblas_core_level("SapphireRapids"), SimdLevel::kAvx512);
  EXPECT_EQ(openblas_core_level("Neoverse"), SimdLevel::kUnknown);
  EXPECT_EQ(openblas_core_level(""), SimdLevel::kUnknown);
}

TEST(OpenblasCore, AnSseOrAvxCoreOnAnAvx2OrAvx512CpuIsReported) {
  // The case: Debian's 0.3.21 on a Sapphire Rapids.
  const std::string w = openblas_core_warning("Prescott", SimdLevel::kAvx512);
  EXPECT_NE(w.find("'Prescott'"), std::string::npos) << w;
  EXPECT_NE(w.find("AVX-512"), std::string::npos) << w;
  EXPECT_EQ(w.find('\n'), std::string::npos) << "one line";
  EXPECT_FALSE(openblas_core_warning("Core2", SimdLevel::kAvx2).empty());
  EXPECT_FALSE(openblas_core_warning("Sandybridge", SimdLevel::kAvx2).empty());
  EXPECT_FALSE(openblas_core_warning("Nehalem", SimdLevel::kAvx).empty());
}

TEST(OpenblasCore, AMatchingOrUnknownCoreIsNotReported) {
  EXPECT_EQ(openblas_core_warning("SkylakeX", SimdLevel::kAvx512), "");
  // OpenBLAS 0.3.21's choice for Zen 4 (this project's development machine).
  EXPECT_EQ(openblas_core_warning("Haswell", SimdLevel::kAvx512), "");
  EXPECT_EQ(openblas_core_warning("Zen", SimdLevel::kAvx2), "");
  EXPECT_EQ(openblas_core_warning("Prescott", SimdLevel::kSse), "") << "an old CPU, correctly detected";
  EXPECT_EQ(openblas_core_warning("Sandybridge", SimdLevel::kAvx), "");
  EXPECT_EQ(openblas_core_warning("Neoverse", SimdLevel::kAvx512), "") << "unknown core: no judgement";
  EXPECT_EQ(openblas_core_warning("Prescott", SimdLevel::kUnknown), "");
}

TEST(OpenblasCore, ThisCpusLevelIsKnown) { EXPECT_NE(cpu_simd_level(), SimdLevel::kUnknown); }

}  // namespace
}  // namespace ra::gemm

// The one place the CPU kernels reach the BLAS (OpenBLAS sgemm, row-major).
#pragma once

#include <cstdint>

namespace ra::kernels::cpu {

enum class Trans : std::uint8_t { kNo, kYes };

// C[m x n] = alpha * op(A) op(B) + beta * C, row-major with leading dimensions.
void sgemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc);

// The kernels parallelize over tiles themselves; the BLAS must run single-threaded inside
// each call or the two levels of threads would oversubscribe the cores.
void ensure_single_threaded_blas();

}  // namespace ra::kernels::cpu

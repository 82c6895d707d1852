// The model's one call site of the BLAS: row-major GEMM in f32 (training) and f64 (the
// finite-difference and reference tests), C = alpha·op(A)·op(B) + beta·C.
#pragma once

#include <cstdint>

namespace ra::model {

enum class Trans : std::uint8_t { kNo, kYes };

template <typename T>
void gemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc);

}  // namespace ra::model

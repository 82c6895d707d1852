// The one GEMM of the CPU code: the attention kernels (kernels/cpu) and the model's layers
// (runtime/model) both multiply through it,
//
//   C = alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ,
//
// on row-major matrices. The interface names no library type: what is behind it can be
// swapped without touching a caller.
//
// Behind it (docs/architecture.md, "The CPU GEMM"):
//   f32  oneDNN's matmul primitive (Debian's libdnnl). oneDNN picks its kernels when the
//        process runs, from the CPU's cpuid (AVX2, AVX-512, AVX512-BF16, AMX); no setting
//        is needed (ONEDNN_MAX_CPU_ISA can only cap it: the tests run the AVX2 kernels
//        that way). One primitive per (shape, transposes, strides, alpha,
//        beta) and thread, created on first use and reused: a tile GEMM of the attention
//        kernels costs ~10 µs, creating its primitive ~200 µs.
//   bf16 (inputs; f32 accumulation and output) the same, with oneDNN's bf16 kernels, or
//        widened to f32 where oneDNN has none (below AVX-512).
//   f64  OpenBLAS's dgemm: only the model's finite-difference and reference checks
//        multiply in f64 (oneDNN has no f64 matmul). OpenBLAS picks its kernels from its
//        own table of CPU models and can mis-detect a newer CPU (Debian's 0.3.21 takes a
//        Sapphire Rapids for a Prescott); startup_warning() names that case.
// Every call runs on the calling thread alone (see ensure_single_threaded) and, for a
// given shape and CPU, the same kernel runs in the same order: results are deterministic
// and independent of the thread that computes them.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/dtype.h"

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

// A row-major matrix whose rows follow each other without a gap (ld_elems = cols).
template <typename T>
RowMajor<T> dense(T* data, std::int64_t rows, std::int64_t cols) {
  return {data, rows, cols, cols};
}

// C = alpha · op(A) · op(B) + beta · C. op(A) must be c.rows × k and op(B) k × c.cols
// (a mismatch, or a stride shorter than its row, is an ra::InternalError: a caller's
// bug). An empty C is left alone; with k = 0 or alpha = 0, C = beta · C (C is not read
// when beta = 0, as in BLAS). f64 serves the model's finite-difference and reference
// checks.
void multiply(float alpha, RowMajor<const float> a, Transpose trans_a, RowMajor<const float> b, Transpose trans_b,
              float beta, RowMajor<float> c);
void multiply(double alpha, RowMajor<const double> a, Transpose trans_a, RowMajor<const double> b, Transpose trans_b,
              double beta, RowMajor<double> c);

// bf16 inputs, fp32 accumulation and output: C (f32) = alpha · op(A) · op(B) + beta · C.
// A product of two bf16 values is exact in fp32, so the result carries fp32 summation
// error only (the f32 path's bound), whatever runs it: oneDNN's bf16 kernels where the
// CPU has bf16 dot products (AVX512-BF16, AMX; subnormal bf16 inputs count as zero
// there, as the instructions define), otherwise both operands widened to f32 and the f32
// path. bf16_is_native() says which.
void multiply(float alpha, RowMajor<const bf16> a, Transpose trans_a, RowMajor<const bf16> b, Transpose trans_b,
              float beta, RowMajor<float> c);

// Whether oneDNN multiplies bf16 natively on this CPU (else the widening path runs).
bool bf16_is_native();

// The attention kernels parallelize over tiles themselves: the GEMM must run
// single-threaded inside each call or the two levels of threads would oversubscribe the
// cores. The f32 path is single-threaded always (each call sets the calling thread's
// OpenMP team size, which oneDNN reads, to 1); this also pins OpenBLAS (f64) to one
// thread. Process-wide and idempotent; the CPU attention op calls it when constructed.
void ensure_single_threaded();

// One line for the user when the GEMM libraries will run far below what this CPU can do
// (today: OpenBLAS's core detection fell below the CPU's AVX2/AVX-512), empty otherwise.
// The launcher prints it at start-up.
std::string startup_warning();

// What runs behind multiply, for benchmark reports: the libraries, their versions and the
// kernels they chose for this CPU, e.g. "f32: oneDNN 2.6.3 (avx512_core_bf16); bf16:
// oneDNN; f64: OpenBLAS (Haswell)".
std::string backend_summary();

// How many oneDNN primitives this process has created (all threads): the tests check
// that a repeated shape reuses its primitive.
std::int64_t primitives_created();

}  // namespace ra::gemm

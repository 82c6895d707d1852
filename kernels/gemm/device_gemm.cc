#include "kernels/gemm/device_gemm.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "runtime/core/check.h"

namespace ra::gemm {

std::string_view element_type_name(ElementType t) {
  switch (t) {
    case ElementType::kF32: return "f32";
    case ElementType::kBF16: return "bf16";
    case ElementType::kF16: return "f16";
  }
  return "?";
}

std::int64_t element_size_bytes(ElementType t) {
  switch (t) {
    case ElementType::kF32: return 4;
    case ElementType::kBF16: return 2;
    case ElementType::kF16: return 2;
  }
  return 0;
}

namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// cuBLAS takes m, n, k, the leading dimensions and batchCount as `int`: a larger value
// would be truncated, so it is refused, naming the argument.
std::int32_t to_int32(std::int64_t x, const char* what) {
  RA_CHECK_LE(UsageError, x, kInt32Max, "GEMM: ", what,
              " exceeds cuBLAS's int32 arguments (2^31 - 1); split the GEMM (fewer tokens or sequences per call)");
  return static_cast<std::int32_t>(x);
}

// cublasGemmEx with CUBLAS_COMPUTE_32F takes A and B of one type and C of that type or
// fp32 (cuBLAS documentation, cublasGemmEx, table of supported type combinations).
void check_types(ElementType a, ElementType b, ElementType c, const char* a_name, const char* b_name) {
  RA_CHECK(InternalError, a == b, "GEMM: ", a_name, " is ", element_type_name(a), " but ", b_name, " is ",
           element_type_name(b), "; cublasGemmEx with CUBLAS_COMPUTE_32F takes both of one type");
  RA_CHECK(InternalError, c == a || c == ElementType::kF32, "GEMM: C is ", element_type_name(c), " with ",
           element_type_name(a), " inputs; cublasGemmEx with CUBLAS_COMPUTE_32F writes C in the input type or in f32");
}

// The largest power of two ≤ 16 that divides x (x = 0 counts as divisible by anything).
std::int64_t pow2_alignment(std::int64_t x) {
  std::int64_t a = 16;
  while (a > 1 && x % a != 0) a /= 2;
  return a;
}

// The elements a batch of matrices spans must be addressable: (batch − 1)·stride + one
// matrix's span fits in int64 (pointer arithmetic of both executors).
void check_span(std::int64_t rows, std::int64_t cols, std::int64_t ld, std::int64_t batch, std::int64_t stride,
                const char* name) {
  if (rows == 0 || cols == 0 || batch == 0) return;
  std::int64_t span = 0, last = 0, total = 0;
  const bool overflow = __builtin_mul_overflow(rows - 1, ld, &span) || __builtin_add_overflow(span, cols, &span) ||
                        __builtin_mul_overflow(batch - 1, stride, &last) || __builtin_add_overflow(last, span, &total);
  RA_CHECK(UsageError, !overflow, "GEMM: the elements of ", name, " (", batch, " matrices of ", rows, " x ", cols,
           ", ld ", ld, ", batch stride ", stride, ") exceed int64 offsets");
}

}  // namespace

// Row-major ↔ column-major. A row-major r × c matrix with row stride ld occupies memory
// exactly like a column-major c × r matrix with leading dimension ld: the row-major X is
// the column-major Xᵀ, same pointer, same ld. cuBLAS only computes column-major products,
// so instead of C = op(A)·op(B) (row-major) we ask it for the transpose,
//
//   Cᵀ = (op(A)·op(B))ᵀ = op(B)ᵀ · op(A)ᵀ,
//
// which it writes column-major into C's memory — and a column-major Cᵀ is the row-major C
// we want. Now read the right-hand side in column-major terms. The memory of row-major B is
// the column-major matrix Bᵀ; we need op(B)ᵀ, which is Bᵀ itself when op(B) = B (so
// cuBLAS's transa = N) and B = (Bᵀ)ᵀ when op(B) = Bᵀ (transa = T). So:
//
//   cuBLAS A   = row-major B's pointer, lda = ldb,  transa = trans_b
//   cuBLAS B   = row-major A's pointer, ldb = lda,  transb = trans_a
//   cuBLAS C   = row-major C's pointer, ldc = ldc
//   cuBLAS m   = n  (rows of column-major Cᵀ = columns of row-major C)
//   cuBLAS n   = m
//   cuBLAS k   = k
//
// No data moves and no transpose is materialized; batch strides follow their pointers.
// cuBLAS's rule lda ≥ max(1, transa == N ? m : k) is then exactly "the row stride of B is
// at least its row length" — the row-major rule, checked below in row-major words first.
ColumnMajorGemm to_column_major(const RowMajorGemm& g) {
  RA_CHECK_GE(InternalError, g.m, 0, "GEMM: m (rows of C)");
  RA_CHECK_GE(InternalError, g.n, 0, "GEMM: n (columns of C)");
  RA_CHECK_GE(InternalError, g.k, 0, "GEMM: k (the inner dimension)");
  RA_CHECK_GE(InternalError, g.batch_count, 0, "GEMM: batch_count");
  // Stored (pre-op) shapes of the row-major operands.
  const std::int64_t a_rows = g.trans_a == Transpose::kNo ? g.m : g.k;
  const std::int64_t a_cols = g.trans_a == Transpose::kNo ? g.k : g.m;
  const std::int64_t b_rows = g.trans_b == Transpose::kNo ? g.k : g.n;
  const std::int64_t b_cols = g.trans_b == Transpose::kNo ? g.n : g.k;
  RA_CHECK_GE(InternalError, g.lda_elems, a_cols, "GEMM: the row stride of A (lda_elems) is shorter than its rows (",
              a_rows, " x ", a_cols, ", trans_a ", g.trans_a == Transpose::kYes ? "T" : "N", ")");
  RA_CHECK_GE(InternalError, g.ldb_elems, b_cols, "GEMM: the row stride of B (ldb_elems) is shorter than its rows (",
              b_rows, " x ", b_cols, ", trans_b ", g.trans_b == Transpose::kYes ? "T" : "N", ")");
  RA_CHECK_GE(InternalError, g.ldc_elems, g.n, "GEMM: the row stride of C (ldc_elems) is shorter than its rows (", g.m,
              " x ", g.n, ")");
  check_types(g.a_type, g.b_type, g.c_type, "A", "B");
  RA_CHECK_GE(InternalError, g.stride_a_elems, 0, "GEMM: the batch stride of A");
  RA_CHECK_GE(InternalError, g.stride_b_elems, 0, "GEMM: the batch stride of B");
  RA_CHECK_GE(InternalError, g.stride_c_elems, 0, "GEMM: the batch stride of C");
  check_span(a_rows, a_cols, g.lda_elems, g.batch_count, g.stride_a_elems, "A");
  check_span(b_rows, b_cols, g.ldb_elems, g.batch_count, g.stride_b_elems, "B");
  check_span(g.m, g.n, g.ldc_elems, g.batch_count, g.stride_c_elems, "C");
  // Matrices of C must not overlap (the batch runs in parallel, in no order): either one
  // after the other (stride ≥ a whole matrix) or interleaved inside the rows of a wider
  // tensor (the heads of [L, H, D]: stride ≥ a row, all of them within one ld).
  if (g.batch_count > 1 && g.m > 0 && g.n > 0) {
    const std::int64_t c_span_elems = (g.m - 1) * g.ldc_elems + g.n;
    const bool consecutive = g.stride_c_elems >= c_span_elems;
    const bool interleaved = g.stride_c_elems >= g.n && (g.batch_count - 1) * g.stride_c_elems + g.n <= g.ldc_elems;
    RA_CHECK(InternalError, consecutive || interleaved, "GEMM: the ", g.batch_count, " output matrices overlap (C is ",
             g.m, " x ", g.n, ", ldc_elems ", g.ldc_elems, ", stride_c_elems ", g.stride_c_elems, ")");
  }

  ColumnMajorGemm c;
  c.transa = g.trans_b == Transpose::kYes ? BlasOp::kT : BlasOp::kN;
  c.transb = g.trans_a == Transpose::kYes ? BlasOp::kT : BlasOp::kN;
  c.m = to_int32(g.n, "n (columns of C)");
  c.n = to_int32(g.m, "m (rows of C)");
  c.k = to_int32(g.k, "k (the inner dimension)");
  c.first = FirstOperand::kRowMajorB;
  // An empty row's stride is never read, but cuBLAS wants every ld ≥ 1.
  c.lda_elems = to_int32(std::max<std::int64_t>(g.ldb_elems, 1), "ldb_elems (the row stride of B)");
  c.ldb_elems = to_int32(std::max<std::int64_t>(g.lda_elems, 1), "lda_elems (the row stride of A)");
  c.ldc_elems = to_int32(std::max<std::int64_t>(g.ldc_elems, 1), "ldc_elems (the row stride of C)");
  c.stride_a_elems = g.stride_b_elems;
  c.stride_b_elems = g.stride_a_elems;
  c.stride_c_elems = g.stride_c_elems;
  c.batch_count = to_int32(g.batch_count, "batch_count");
  c.a_type = g.b_type;
  c.b_type = g.a_type;
  c.c_type = g.c_type;
  c.compute = g.compute;
  std::int64_t align = pow2_alignment(c.lda_elems * element_size_bytes(c.a_type));
  align = std::min(align, pow2_alignment(c.ldb_elems * element_size_bytes(c.b_type)));
  align = std::min(align, pow2_alignment(c.ldc_elems * element_size_bytes(c.c_type)));
  if (c.batch_count > 1) {
    align = std::min(align, pow2_alignment(c.stride_a_elems * element_size_bytes(c.a_type)));
    align = std::min(align, pow2_alignment(c.stride_b_elems * element_size_bytes(c.b_type)));
    align = std::min(align, pow2_alignment(c.stride_c_elems * element_size_bytes(c.c_type)));
  }
  c.stride_alignment_bytes = static_cast<std::int32_t>(align);
  validate(c);  // the mapping must produce a call cuBLAS accepts: a failure here is ours
  return c;
}

void validate(const ColumnMajorGemm& call) {
  RA_CHECK_GE(InternalError, call.m, 0, "cuBLAS GEMM: m");
  RA_CHECK_GE(InternalError, call.n, 0, "cuBLAS GEMM: n");
  RA_CHECK_GE(InternalError, call.k, 0, "cuBLAS GEMM: k");
  RA_CHECK_GE(InternalError, call.batch_count, 0, "cuBLAS GEMM: batchCount");
  // Column-major A is m × k (transa = N) or k × m: lda is at least its number of rows.
  const std::int32_t min_lda = std::max(1, call.transa == BlasOp::kN ? call.m : call.k);
  const std::int32_t min_ldb = std::max(1, call.transb == BlasOp::kN ? call.k : call.n);
  const std::int32_t min_ldc = std::max(1, call.m);
  RA_CHECK_GE(InternalError, call.lda_elems, min_lda, "cuBLAS GEMM: lda >= max(1, rows of A as stored)");
  RA_CHECK_GE(InternalError, call.ldb_elems, min_ldb, "cuBLAS GEMM: ldb >= max(1, rows of B as stored)");
  RA_CHECK_GE(InternalError, call.ldc_elems, min_ldc, "cuBLAS GEMM: ldc >= max(1, m)");
  RA_CHECK_GE(InternalError, call.stride_a_elems, 0, "cuBLAS GEMM: strideA");
  RA_CHECK_GE(InternalError, call.stride_b_elems, 0, "cuBLAS GEMM: strideB");
  RA_CHECK_GE(InternalError, call.stride_c_elems, 0, "cuBLAS GEMM: strideC");
  check_types(call.a_type, call.b_type, call.c_type, "cuBLAS's A", "cuBLAS's B");
}

std::string to_string(const ColumnMajorGemm& call) {
  std::ostringstream os;
  os << "transa " << (call.transa == BlasOp::kT ? "T" : "N") << ", transb " << (call.transb == BlasOp::kT ? "T" : "N")
     << ", m " << call.m << ", n " << call.n << ", k " << call.k << ", lda " << call.lda_elems << ", ldb "
     << call.ldb_elems << ", ldc " << call.ldc_elems << ", strides " << call.stride_a_elems << "/"
     << call.stride_b_elems << "/" << call.stride_c_elems << ", batch " << call.batch_count << ", A "
     << element_type_name(call.a_type) << ", B " << element_type_name(call.b_type) << ", C "
     << element_type_name(call.c_type) << ", compute f32";
  return os.str();
}

TensorCoreAlignment tensor_core_alignment(const ColumnMajorGemm& call, const void* a, const void* b, const void* c) {
  const auto aligned16 = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; };
  return call.stride_alignment_bytes == 16 && aligned16(a) && aligned16(b) && aligned16(c)
             ? TensorCoreAlignment::kAligned16Bytes
             : TensorCoreAlignment::kUnaligned;
}

void DeviceGemm::multiply(const RowMajorGemm& g, float alpha, const void* a, const void* b, float beta, void* c) {
  const ColumnMajorGemm call = to_column_major(g);
  // cuBLAS's A is row-major B (see to_column_major).
  run(call, alpha, call.first == FirstOperand::kRowMajorB ? b : a, call.first == FirstOperand::kRowMajorB ? a : b, beta,
      c);
}

void DeviceGemm::run(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta, void* c) {
  validate(call);
  if (call.m == 0 || call.n == 0 || call.batch_count == 0) return;
  const auto check_pointer = [](const void* p, ElementType t, const char* name, bool needed) {
    if (!needed) return;
    RA_CHECK(InternalError, p != nullptr, "cuBLAS GEMM: ", name, " is null");
    RA_CHECK_EQ(InternalError, reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(element_size_bytes(t)),
                std::uintptr_t{0}, "cuBLAS GEMM: ", name, " is not aligned to its element size (", element_type_name(t),
                ")");
  };
  // With k = 0 cuBLAS reads neither A nor B (C = beta·C).
  check_pointer(a, call.a_type, "A", call.k > 0);
  check_pointer(b, call.b_type, "B", call.k > 0);
  check_pointer(c, call.c_type, "C", true);
  execute(call, alpha, a, b, beta, c);
}

}  // namespace ra::gemm

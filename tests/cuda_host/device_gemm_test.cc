// The GEMMs of the GPU path verified without a GPU: every GEMM the model issues (and odd,
// batched and degenerate ones) goes row-major description → to_column_major → the CPU
// executor of cuBLAS's column-major semantics (HostColumnMajorGemm, with exactly the
// arguments and pointer order cuBLAS receives), and is compared element by element with a
// naive row-major GEMM in f64 on the unrounded inputs, within the rounding bound derived in
// gemm_cases.h (bf16: 2·2^-8 per product's terms plus fp32 accumulation γ(k+2); f32:
// γ(k+2) ≈ 2^-24·k). A wrong transpose, swapped operand, leading dimension or batch stride
// gives errors of the order of the result, thousands of times the bound (AWrongMappingIsCaught).
// The same cases run through cuBLAS on a GPU in cublas_gemm_gpu_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kernels/gemm/device_gemm.h"
#include "kernels/gemm/host_column_major_gemm.h"
#include "runtime/core/error.h"
#include "tests/cuda_host/gemm_cases.h"

namespace ra::gemm {
namespace {

using cases::Accumulation;
using cases::Buffer;
using cases::CaseGroup;
using cases::Comparison;
using cases::GemmCase;
using cases::Operands;

// Runs a group through the mapping and the executor, checks every case, and prints how
// much of the tolerance the group used (a bound far above every error would prove nothing;
// docs/cuda.md quotes these figures).
void check_group(const CaseGroup& group) {
  double max_ratio = 0;
  std::string worst;
  for (const GemmCase& tc : group.cases) {
    SCOPED_TRACE(cases::describe(tc));
    Operands o = cases::make_operands(tc);
    HostColumnMajorGemm gemm;
    DeviceGemm& device = gemm;  // what the training code holds
    device.multiply(o.g, tc.alpha, o.a.bytes.data(), o.b.bytes.data(), tc.beta, o.c.bytes.data());
    const Comparison r = cases::compare(tc, o, Accumulation::kRoundToNearest);
    EXPECT_LE(r.max_ratio, 1.0) << "max |error| " << r.max_error << " at " << r.where;
    EXPECT_TRUE(r.untouched.empty()) << r.untouched;
    EXPECT_EQ(r.checked, tc.batch_count * tc.m * tc.n);
    if (r.max_ratio > max_ratio || worst.empty()) {
      max_ratio = r.max_ratio;
      worst = cases::describe(tc);
    }
  }
  std::printf("[ ratio    ] %s (%zu cases): max |error| / bound = %.3f (%s)\n", group.name.c_str(), group.cases.size(),
              max_ratio, worst.c_str());
}

// ---------------------------------------------------------------------------------------
// The argument mapping itself, spelled out for the model's three linear-layer GEMMs.

TEST(CublasMapping, LinearForwardIsTheFamiliarTN) {
  // y[n_tok, out] = x[n_tok, in] · W[out, in]ᵀ  →  cuBLAS: Cᵀ = W·xᵀ, i.e.
  // gemm(T, N, m = out, n = n_tok, k = in, A = W (lda in), B = x (ldb in), C = y (ldc out)).
  RowMajorGemm g;
  g.trans_a = Transpose::kNo;
  g.trans_b = Transpose::kYes;
  g.m = 1024;
  g.n = 172;
  g.k = 64;
  g.lda_elems = 64;
  g.ldb_elems = 64;
  g.ldc_elems = 172;
  g.a_type = g.b_type = ElementType::kBF16;
  g.c_type = ElementType::kBF16;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.transa, BlasOp::kT);
  EXPECT_EQ(c.transb, BlasOp::kN);
  EXPECT_EQ(c.m, 172);
  EXPECT_EQ(c.n, 1024);
  EXPECT_EQ(c.k, 64);
  EXPECT_EQ(c.first, FirstOperand::kRowMajorB);
  EXPECT_EQ(c.lda_elems, 64);
  EXPECT_EQ(c.ldb_elems, 64);
  EXPECT_EQ(c.ldc_elems, 172);
  EXPECT_EQ(c.batch_count, 1);
  EXPECT_EQ(c.a_type, ElementType::kBF16);
  EXPECT_EQ(c.compute, ComputeType::kF32);
  // 172 bf16 = 344 bytes: C's rows are 8-byte, not 16-byte, multiples.
  EXPECT_EQ(c.stride_alignment_bytes, 8);
  EXPECT_EQ(to_string(c),
            "transa T, transb N, m 172, n 1024, k 64, lda 64, ldb 64, ldc 172, strides 0/0/0, batch 1, A bf16, B bf16, "
            "C bf16, compute f32");
}

TEST(CublasMapping, BackwardDxAndDw) {
  // dx[n_tok, in] = dy[n_tok, out] · W[out, in]  →  gemm(N, N, in, n_tok, out, W (ld in), dy (ld out), dx (ld in)).
  RowMajorGemm dx;
  dx.m = 1024;
  dx.n = 64;
  dx.k = 256;
  dx.lda_elems = 256;
  dx.ldb_elems = 64;
  dx.ldc_elems = 64;
  ColumnMajorGemm c = to_column_major(dx);
  EXPECT_EQ(c.transa, BlasOp::kN);
  EXPECT_EQ(c.transb, BlasOp::kN);
  EXPECT_EQ(c.m, 64);
  EXPECT_EQ(c.n, 1024);
  EXPECT_EQ(c.k, 256);
  EXPECT_EQ(c.lda_elems, 64);
  EXPECT_EQ(c.ldb_elems, 256);
  EXPECT_EQ(c.ldc_elems, 64);
  EXPECT_EQ(c.stride_alignment_bytes, 16);
  // dW[out, in] += dy[n_tok, out]ᵀ · x[n_tok, in]  →  gemm(N, T, in, out, n_tok, x (ld in), dy (ld out), dW (ld in)).
  RowMajorGemm dw;
  dw.trans_a = Transpose::kYes;
  dw.m = 256;
  dw.n = 64;
  dw.k = 1024;
  dw.lda_elems = 256;
  dw.ldb_elems = 64;
  dw.ldc_elems = 64;
  c = to_column_major(dw);
  EXPECT_EQ(c.transa, BlasOp::kN);
  EXPECT_EQ(c.transb, BlasOp::kT);
  EXPECT_EQ(c.m, 64);
  EXPECT_EQ(c.n, 256);
  EXPECT_EQ(c.k, 1024);
  EXPECT_EQ(c.lda_elems, 64);
  EXPECT_EQ(c.ldb_elems, 256);
  EXPECT_EQ(c.ldc_elems, 64);
}

TEST(CublasMapping, BatchStridesFollowTheirPointersAndEmptyRowsGetLdOne) {
  RowMajorGemm g;
  g.m = 3;
  g.n = 5;
  g.k = 0;  // C = beta·C: A is 3 × 0 with ld 0, which cuBLAS would refuse as lda 0
  g.lda_elems = 0;
  g.ldb_elems = 5;
  g.ldc_elems = 5;
  g.batch_count = 4;
  g.stride_a_elems = 7;
  g.stride_b_elems = 0;
  g.stride_c_elems = 15;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.ldb_elems, 1);
  EXPECT_EQ(c.stride_a_elems, 0);  // row-major B
  EXPECT_EQ(c.stride_b_elems, 7);  // row-major A
  EXPECT_EQ(c.stride_c_elems, 15);
  EXPECT_EQ(c.batch_count, 4);
}

TEST(CublasMapping, TensorCoreAlignment) {
  RowMajorGemm g;
  g.m = g.n = g.k = 64;
  g.lda_elems = g.ldb_elems = g.ldc_elems = 64;
  g.a_type = g.b_type = ElementType::kBF16;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.stride_alignment_bytes, 16);
  alignas(16) static std::uint8_t memory[64];
  EXPECT_EQ(tensor_core_alignment(c, memory, memory, memory), TensorCoreAlignment::kAligned16Bytes);
  EXPECT_EQ(tensor_core_alignment(c, memory + 2, memory, memory), TensorCoreAlignment::kUnaligned);
  g.lda_elems = 68;  // 136 bytes: 8-byte multiple
  EXPECT_EQ(to_column_major(g).stride_alignment_bytes, 8);
  g.lda_elems = 65;  // 130 bytes
  EXPECT_EQ(to_column_major(g).stride_alignment_bytes, 2);
}

// ---------------------------------------------------------------------------------------
// Every GEMM the model issues, then odd, batched and degenerate shapes (gemm_cases.cc).

TEST(DeviceGemmCases, Model) {
  for (const CaseGroup& g : cases::model_cases()) check_group(g);
}

TEST(DeviceGemmCases, OddBatchedAndDegenerate) {
  for (const CaseGroup& g : cases::odd_cases()) check_group(g);
}

// The comparison has teeth: a mapping with one argument wrong fails it by far.
TEST(DeviceGemmCases, AWrongMappingIsCaught) {
  const GemmCase tc{"wrong", Transpose::kNo, Transpose::kYes, 24, 24, 24, ElementType::kF32, ElementType::kF32};
  const auto run_wrong = [&](auto corrupt) {
    Operands o = cases::make_operands(tc);
    ColumnMajorGemm call = to_column_major(o.g);
    corrupt(call);
    HostColumnMajorGemm gemm;
    gemm.run(call, tc.alpha, o.b.bytes.data(), o.a.bytes.data(), tc.beta, o.c.bytes.data());
    return cases::compare(tc, o).max_ratio;
  };
  EXPECT_LE(run_wrong([](ColumnMajorGemm&) {}), 1.0);  // unchanged, it passes
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.transa = BlasOp::kN; }), 1e3) << "transa flipped";
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.transb = BlasOp::kT; }), 1e3) << "transb flipped";
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.k = 23; }), 1e3) << "one term of k left out";
  // Operands in row-major order instead of cuBLAS's (A first): also far off.
  Operands o = cases::make_operands(tc);
  const ColumnMajorGemm call = to_column_major(o.g);
  HostColumnMajorGemm gemm;
  gemm.run(call, tc.alpha, o.a.bytes.data(), o.b.bytes.data(), tc.beta, o.c.bytes.data());
  EXPECT_GT(cases::compare(tc, o).max_ratio, 1e3) << "A and B swapped";
}

// ---------------------------------------------------------------------------------------
// Descriptions cuBLAS would refuse, or that it would silently truncate, are rejected with
// a message that names the argument.

template <typename Error>
void expect_error(const RowMajorGemm& g, const std::string& fragment) {
  try {
    (void)to_column_major(g);
    ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

RowMajorGemm valid_gemm() {
  RowMajorGemm g;
  g.m = 8;
  g.n = 16;
  g.k = 4;
  g.lda_elems = 4;
  g.ldb_elems = 16;
  g.ldc_elems = 16;
  return g;
}

TEST(CublasMappingRejects, LeadingDimensionsShorterThanARow) {
  RowMajorGemm g = valid_gemm();
  g.lda_elems = 3;
  expect_error<InternalError>(g, "the row stride of A (lda_elems) is shorter than its rows (8 x 4");
  g = valid_gemm();
  g.trans_b = Transpose::kYes;  // B is now 16 × 4 stored
  g.ldb_elems = 3;
  expect_error<InternalError>(g, "the row stride of B (ldb_elems) is shorter than its rows (16 x 4, trans_b T)");
  g = valid_gemm();
  g.ldc_elems = 15;
  expect_error<InternalError>(g, "the row stride of C (ldc_elems)");
}

TEST(CublasMappingRejects, SizesBeyondInt32) {
  const std::int64_t big = std::int64_t{1} << 31;  // INT32_MAX + 1
  RowMajorGemm g = valid_gemm();
  g.m = big;
  expect_error<UsageError>(g, "m (rows of C) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.k = big;
  g.lda_elems = big;
  g.trans_b = Transpose::kYes;
  g.ldb_elems = big;
  expect_error<UsageError>(g, "k (the inner dimension) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.ldc_elems = big;
  expect_error<UsageError>(g, "ldc_elems (the row stride of C) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.batch_count = big;
  g.stride_a_elems = 32;
  g.stride_b_elems = 64;
  g.stride_c_elems = 128;
  expect_error<UsageError>(g, "batch_count exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.m = std::int64_t{1} << 30;
  g.ldc_elems = std::int64_t{1} << 31 >> 1;
  g.batch_count = 1 << 20;
  g.stride_c_elems = std::int64_t{1} << 60;
  expect_error<UsageError>(g, "exceed int64 offsets");
  // Exactly INT32_MAX is fine (no data is touched by the mapping).
  g = valid_gemm();
  g.m = std::numeric_limits<std::int32_t>::max();
  EXPECT_EQ(to_column_major(g).n, std::numeric_limits<std::int32_t>::max());
}

TEST(CublasMappingRejects, NegativeSizesOverlapsAndTypes) {
  RowMajorGemm g = valid_gemm();
  g.k = -1;
  expect_error<InternalError>(g, "k (the inner dimension)");
  g = valid_gemm();
  g.batch_count = 2;
  g.stride_a_elems = 32;
  g.stride_b_elems = 0;
  g.stride_c_elems = 100;  // C spans 7·16 + 16 = 128 elements
  expect_error<InternalError>(g, "the 2 output matrices overlap");
  g.stride_c_elems = 0;
  expect_error<InternalError>(g, "the 2 output matrices overlap");
  g.stride_c_elems = -128;
  expect_error<InternalError>(g, "the batch stride of C");
  g = valid_gemm();
  g.a_type = ElementType::kF32;
  g.b_type = ElementType::kBF16;
  expect_error<InternalError>(g, "A is f32 but B is bf16; cublasGemmEx with CUBLAS_COMPUTE_32F takes both of one type");
  g = valid_gemm();
  g.c_type = ElementType::kBF16;
  expect_error<InternalError>(g, "C is bf16 with f32 inputs");
  g = valid_gemm();
  g.a_type = g.b_type = ElementType::kBF16;
  g.c_type = ElementType::kF16;
  expect_error<InternalError>(g, "C is f16 with bf16 inputs");
}

TEST(CublasMappingRejects, CallsCublasWouldRefuseAndMisalignedPointers) {
  ColumnMajorGemm call = to_column_major(valid_gemm());  // m 16, n 8, k 4, lda 16, ldb 4
  call.lda_elems = 15;
  try {
    validate(call);
    ADD_FAILURE() << "lda 15 < m 16 accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("lda >= max(1, rows of A as stored)"), std::string::npos) << e.what();
  }
  // A bf16 operand at an odd byte address.
  RowMajorGemm g = valid_gemm();
  g.a_type = g.b_type = ElementType::kBF16;
  Buffer a(ElementType::kBF16, 32), b(ElementType::kBF16, 64), c(ElementType::kF32, 128);
  HostColumnMajorGemm gemm;
  try {
    gemm.multiply(g, 1.0f, a.bytes.data() + 1, b.bytes.data(), 0.0f, c.bytes.data());
    ADD_FAILURE() << "misaligned A accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("B is not aligned to its element size (bf16)"), std::string::npos)
        << "row-major A is cuBLAS's B: " << e.what();
  }
  EXPECT_THROW(gemm.multiply(g, 1.0f, a.bytes.data(), b.bytes.data(), 0.0f, nullptr), InternalError);
}

}  // namespace
}  // namespace ra::gemm

// The GEMMs of the GPU path, described the way the rest of the code thinks (row-major,
// gemm.h's convention) and mapped onto the arguments of cuBLAS's column-major
// cublasGemmEx / cublasGemmStridedBatchedEx. Plain C++: no CUDA or cuBLAS header is needed
// to build or test the mapping (tests/cuda_host/device_gemm_test.cc, docs/cuda.md "GEMMs on
// the GPU").
//
//   C = alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ,   fp32 accumulation,
//
// optionally `batch_count` times with constant element strides between the matrices.
//
// The enums below mirror cuBLAS's (cublasOperation_t, cudaDataType, cublasComputeType_t);
// the nvcc-side wrapper (kernels/cuda/blas/cublas_gemm.cc) converts them and proves the
// correspondence with static_asserts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/gemm/gemm.h"

namespace ra::gemm {

// Element types a device GEMM reads and writes (cudaDataType: CUDA_R_32F, CUDA_R_16BF,
// CUDA_R_16F). bf16 and f16 are stored as ra::bf16 / ra::f16 (runtime/core/dtype.h).
enum class ElementType : std::uint8_t { kF32, kBF16, kF16 };

// How the products are accumulated (cublasComputeType_t). Only CUBLAS_COMPUTE_32F: fp32
// accumulation with fp32 scalars, and — unlike CUBLAS_COMPUTE_32F_FAST_TF32 — no silent
// down-conversion of fp32 inputs to TF32 (docs/design.md §8: fp32 accumulation everywhere).
enum class ComputeType : std::uint8_t { kF32 };

// cublasOperation_t: CUBLAS_OP_N, CUBLAS_OP_T.
enum class BlasOp : std::uint8_t { kN, kT };

// Which row-major operand cuBLAS receives as its first matrix ("A"). The mapping always
// passes row-major B first (see to_column_major); the field says so explicitly, so a
// caller never has to remember the trick.
enum class FirstOperand : std::uint8_t { kRowMajorB, kRowMajorA };

// Whether the sizes, strides and pointers let cuBLAS use its fastest tensor-core kernels
// (every leading dimension, batch stride and pointer a multiple of 16 bytes). cuBLAS runs
// either way — with slower kernels when not — so this is information, never an error.
enum class TensorCoreAlignment : std::uint8_t { kAligned16Bytes, kUnaligned };

std::string_view element_type_name(ElementType t);
std::int64_t element_size_bytes(ElementType t);

// One GEMM (or one strided batch of them) as the training code sees it. A, B and C are
// row-major as stored (before op): A is m × k (trans_a = kNo) or k × m (kYes), B is k × n
// or n × k, C is m × n; row r of a matrix starts r · ld_elems elements after its first.
// Matrix i of a batch starts i · stride_*_elems elements after matrix 0; a stride of 0
// for A or B reuses one matrix across the batch (one weight for many sequences).
struct RowMajorGemm {
  Transpose trans_a = Transpose::kNo;
  Transpose trans_b = Transpose::kNo;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t lda_elems = 0;
  std::int64_t ldb_elems = 0;
  std::int64_t ldc_elems = 0;
  std::int64_t batch_count = 1;
  std::int64_t stride_a_elems = 0;
  std::int64_t stride_b_elems = 0;
  std::int64_t stride_c_elems = 0;
  ElementType a_type = ElementType::kF32;
  ElementType b_type = ElementType::kF32;
  ElementType c_type = ElementType::kF32;
  ComputeType compute = ComputeType::kF32;
};

// The same GEMM as cuBLAS's column-major arguments, in cublasGemmStridedBatchedEx's order.
// Sizes are int32 (cuBLAS's `int`), batch strides int64 (`long long`). `a`/`b` here are
// cuBLAS's A and B, i.e. row-major B and A (first == kRowMajorB).
struct ColumnMajorGemm {
  BlasOp transa = BlasOp::kN;
  BlasOp transb = BlasOp::kN;
  std::int32_t m = 0;
  std::int32_t n = 0;
  std::int32_t k = 0;
  FirstOperand first = FirstOperand::kRowMajorB;
  std::int32_t lda_elems = 0;  // cuBLAS's lda, ldb, ldc
  std::int32_t ldb_elems = 0;
  std::int32_t ldc_elems = 0;
  std::int64_t stride_a_elems = 0;  // strideA, strideB, strideC
  std::int64_t stride_b_elems = 0;
  std::int64_t stride_c_elems = 0;
  std::int32_t batch_count = 1;
  ElementType a_type = ElementType::kF32;
  ElementType b_type = ElementType::kF32;
  ElementType c_type = ElementType::kF32;
  ComputeType compute = ComputeType::kF32;
  // 16 when every leading dimension and (for a batch) stride is a multiple of 16 bytes,
  // else the largest power of two below 16 that divides them all (pointers are checked
  // at run time: tensor_core_alignment).
  std::int32_t stride_alignment_bytes = 0;
};

// "transa T, transb N, m 172, n 1024, k 64, lda 64, ldb 64, ldc 172, strides 0/0/0, batch 1,
// A bf16, B bf16, C bf16, compute f32": the arguments in cuBLAS's words, for error messages.
std::string to_string(const ColumnMajorGemm& call);

// Maps a row-major GEMM onto cuBLAS's column-major arguments. Throws ra::InternalError for
// a description that is inconsistent (negative sizes, a leading dimension shorter than its
// row, overlapping batch outputs, a type combination cuBLAS's gemmEx does not take with
// CUBLAS_COMPUTE_32F) — the caller's bug — and ra::UsageError for a size beyond cuBLAS's
// int32 arguments (a model or batch too large for one call: split it).
ColumnMajorGemm to_column_major(const RowMajorGemm& g);

// cuBLAS's own argument rules (what it would refuse with CUBLAS_STATUS_INVALID_VALUE):
// m, n, k ≥ 0, batch_count ≥ 0, lda ≥ max(1, rows of A as stored) etc., strides ≥ 0, and
// the gemmEx type combinations. Both DeviceGemm implementations call it before running, so
// the CPU tests catch a call the GPU would refuse. ra::InternalError naming the rule.
void validate(const ColumnMajorGemm& call);

// Alignment of a call's pointers for tensor cores (see TensorCoreAlignment).
TensorCoreAlignment tensor_core_alignment(const ColumnMajorGemm& call, const void* a, const void* b, const void* c);

// A GEMM engine bound to its device and stream: cuBLAS (kernels/cuda/blas/cublas_gemm.h,
// device pointers) or the CPU executor of cuBLAS's semantics (host_column_major_gemm.h,
// host pointers; tests and the emulator backend). The training code holds one pointer to
// this interface.
class DeviceGemm {
 public:
  virtual ~DeviceGemm() = default;
  DeviceGemm() = default;
  DeviceGemm(const DeviceGemm&) = delete;
  DeviceGemm& operator=(const DeviceGemm&) = delete;

  // Row-major A, B, C as described by `g`: maps, then runs with the pointers in cuBLAS's
  // order. alpha and beta are fp32 (the scale type of CUBLAS_COMPUTE_32F).
  void multiply(const RowMajorGemm& g, float alpha, const void* a, const void* b, float beta, void* c);

  // One mapped call, pointers in cuBLAS's order: `a` is cuBLAS's A, i.e. row-major B when
  // call.first == kRowMajorB (always, from to_column_major). Validates (validate(), and
  // each pointer aligned to its element size: ra::InternalError), returns at once when
  // there is nothing to do (m, n or batch_count 0), else runs.
  void run(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta, void* c);

 protected:
  // A validated call with work to do.
  virtual void execute(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta, void* c) = 0;
};

}  // namespace ra::gemm

#include "kernels/cuda/blas/cublas_gemm.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <library_types.h>

#include <string>
#include <type_traits>

#include "runtime/core/check.h"

namespace ra::kernels::cuda {
namespace {

using gemm::BlasOp;
using gemm::ComputeType;
using gemm::ElementType;

static_assert(std::is_same_v<cublasHandle_t, cublasContext*>, "cublas_gemm.h forward-declares cublasContext");

// Our mirrors of cuBLAS's enums (device_gemm.h) and the real ones: one function each, and
// static_asserts proving the correspondence at compile time.
constexpr cublasOperation_t to_cublas(BlasOp op) { return op == BlasOp::kT ? CUBLAS_OP_T : CUBLAS_OP_N; }

constexpr cudaDataType to_cuda(ElementType t) {
  switch (t) {
    case ElementType::kF32: return CUDA_R_32F;
    case ElementType::kBF16: return CUDA_R_16BF;
    case ElementType::kF16: return CUDA_R_16F;
  }
  return CUDA_R_32F;
}

constexpr cublasComputeType_t to_cublas(ComputeType t) {
  switch (t) {
    case ComputeType::kF32: return CUBLAS_COMPUTE_32F;
  }
  return CUBLAS_COMPUTE_32F;
}

static_assert(to_cublas(BlasOp::kN) == CUBLAS_OP_N && to_cublas(BlasOp::kT) == CUBLAS_OP_T);
static_assert(to_cuda(ElementType::kF32) == CUDA_R_32F && to_cuda(ElementType::kBF16) == CUDA_R_16BF &&
              to_cuda(ElementType::kF16) == CUDA_R_16F);
static_assert(to_cublas(ComputeType::kF32) == CUBLAS_COMPUTE_32F);

// "cublas_gemm.cc:88: cublasGemmEx(...) failed: CUBLAS_STATUS_INVALID_VALUE (an invalid
// value was used as an argument)", then the GEMM's arguments when there is one.
void check_cublas(cublasStatus_t status, const char* call, const char* file, int line,
                  const gemm::ColumnMajorGemm* gemm = nullptr) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  std::string message = std::string(file) + ":" + std::to_string(line) + ": " + call +
                        " failed: " + cublas_status_name(static_cast<int>(status)) + " (" +
                        cublasGetStatusString(status) + ")";
  if (gemm != nullptr) message += "; the GEMM: " + gemm::to_string(*gemm);
  throw InternalError(message);
}

}  // namespace
}  // namespace ra::kernels::cuda

#define RA_CUBLAS_CHECK(call) ::ra::kernels::cuda::check_cublas((call), #call, RA_FILE_BASENAME, __LINE__)
#define RA_CUBLAS_GEMM_CHECK(call, gemm) \
  ::ra::kernels::cuda::check_cublas((call), #call, RA_FILE_BASENAME, __LINE__, &(gemm))

namespace ra::kernels::cuda {

std::string cublas_status_name(int status) {
  // Compared as ints: a value cuBLAS does not define is never cast to its enum.
  for (const cublasStatus_t known :
       {CUBLAS_STATUS_SUCCESS, CUBLAS_STATUS_NOT_INITIALIZED, CUBLAS_STATUS_ALLOC_FAILED, CUBLAS_STATUS_INVALID_VALUE,
        CUBLAS_STATUS_ARCH_MISMATCH, CUBLAS_STATUS_MAPPING_ERROR, CUBLAS_STATUS_EXECUTION_FAILED,
        CUBLAS_STATUS_INTERNAL_ERROR, CUBLAS_STATUS_NOT_SUPPORTED, CUBLAS_STATUS_LICENSE_ERROR}) {
    if (static_cast<int>(known) == status) return cublasGetStatusName(known);
  }
  return "CUBLAS_STATUS_" + std::to_string(status) + "?";
}

std::string cublas_version() {
  int major = 0, minor = 0, patch = 0;
  RA_CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  RA_CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  RA_CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

CublasGemm::CublasGemm(void* stream) {
  RA_CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    set_stream(stream);
    // Host-side alpha and beta (the floats of run()), read when the call is enqueued.
    RA_CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
    // fp32 accumulation all the way (docs/design.md §8): by default cuBLAS may reduce the
    // partial sums of a split-K GEMM in the *output* type when that is narrower than the
    // compute type — bf16 for our bf16 activations, 2^-8 per partial sum. Forbidden here;
    // no TF32 either (CUBLAS_DEFAULT_MATH, and COMPUTE_32F rather than _FAST_TF32).
    RA_CUBLAS_CHECK(cublasSetMathMode(
        handle_, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
    // No atomics: results are bitwise reproducible run to run on one GPU model (cuBLAS's
    // documented guarantee; atomics-based kernels would void it). This is the default,
    // set explicitly because the determinism of training (docs/design.md §6) relies on it.
    RA_CUBLAS_CHECK(cublasSetAtomicsMode(handle_, CUBLAS_ATOMICS_NOT_ALLOWED));
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

CublasGemm::~CublasGemm() { cublasDestroy(handle_); }

void CublasGemm::set_stream(void* stream) {
  RA_CUBLAS_CHECK(cublasSetStream(handle_, static_cast<cudaStream_t>(stream)));
}

void CublasGemm::execute(const gemm::ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta,
                         void* c) {
  // CUBLAS_COMPUTE_32F takes fp32 alpha and beta (scaleType CUDA_R_32F) for every
  // input type we map. CUBLAS_GEMM_DEFAULT lets cuBLAS pick tensor-core kernels when the
  // types and alignment allow (bf16/f16 inputs); fp32 inputs stay fp32 (no TF32).
  const cublasOperation_t transa = to_cublas(call.transa), transb = to_cublas(call.transb);
  const cudaDataType a_type = to_cuda(call.a_type), b_type = to_cuda(call.b_type), c_type = to_cuda(call.c_type);
  const cublasComputeType_t compute = to_cublas(call.compute);
  if (call.batch_count == 1) {
    RA_CUBLAS_GEMM_CHECK(
        cublasGemmEx(handle_, transa, transb, call.m, call.n, call.k, &alpha, a, a_type, call.lda_elems, b, b_type,
                     call.ldb_elems, &beta, c, c_type, call.ldc_elems, compute, CUBLAS_GEMM_DEFAULT),
        call);
  } else {
    RA_CUBLAS_GEMM_CHECK(cublasGemmStridedBatchedEx(
                             handle_, transa, transb, call.m, call.n, call.k, &alpha, a, a_type, call.lda_elems,
                             call.stride_a_elems, b, b_type, call.ldb_elems, call.stride_b_elems, &beta, c, c_type,
                             call.ldc_elems, call.stride_c_elems, call.batch_count, compute, CUBLAS_GEMM_DEFAULT),
                         call);
  }
}

}  // namespace ra::kernels::cuda

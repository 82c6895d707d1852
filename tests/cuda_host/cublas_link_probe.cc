// Proves in ctest that the cuBLAS GEMM links and loads: every symbol of CublasGemm
// (handle, stream, cublasGemmEx, cublasGemmStridedBatchedEx) must resolve because main
// takes the address of a function that uses them, and the process then runs the parts
// that need no GPU — the version of the libcublas it loaded and the status names of its
// error messages. Running a GEMM needs a GPU, which CI does not have.
#include <cstdio>
#include <string>

#include "kernels/cuda/blas/cublas_gemm.h"

namespace {

void gemm_on_device(void* stream, const void* a, const void* b, void* c) {
  ra::kernels::cuda::CublasGemm gemm(stream);
  ra::gemm::RowMajorGemm g;
  g.m = g.n = g.k = g.lda_elems = g.ldb_elems = g.ldc_elems = 16;
  gemm.multiply(g, 1.0f, a, b, 0.0f, c);  // cublasGemmEx
  g.batch_count = 2;
  g.stride_a_elems = g.stride_b_elems = g.stride_c_elems = 256;
  gemm.multiply(g, 1.0f, a, b, 0.0f, c);  // cublasGemmStridedBatchedEx
}

}  // namespace

int main() {
  void (*volatile probe)(void*, const void*, const void*, void*) = &gemm_on_device;
  if (probe == nullptr) return 1;
  const std::string version = ra::kernels::cuda::cublas_version();
  const std::string invalid = ra::kernels::cuda::cublas_status_name(7);
  const std::string unknown = ra::kernels::cuda::cublas_status_name(42);
  std::printf("cuBLAS %s linked; status 7 = %s, 42 = %s\n", version.c_str(), invalid.c_str(), unknown.c_str());
  return invalid == "CUBLAS_STATUS_INVALID_VALUE" && unknown == "CUBLAS_STATUS_42?" ? 0 : 1;
}

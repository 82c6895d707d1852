// cuBLAS's GEMM semantics executed on the CPU: cublasGemmEx / cublasGemmStridedBatchedEx
// exactly as cuBLAS documents them (column-major, op per transa/transb, lda/ldb/ldc, batch
// strides), on host memory. The reference the mapping is tested against without a GPU
// (tests/cuda_host/device_gemm_test.cc) and the GEMM of the emulator (simt) backend.
//
// Numerics modelled on the GPU's CUBLAS_COMPUTE_32F: inputs are read as stored (bf16/f16
// values exactly; they were rounded when stored), products and sums in fp32, then
// alpha·acc + beta·C in fp32, rounded once to C's type. Only the summation order differs
// from a GPU's (here: sequential over k; cuBLAS: blocked, unspecified), so the two agree
// within the fp32 accumulation bound γ_k · Σ|terms|, not bitwise. As in cuBLAS, C is not
// read when beta = 0 (a NaN there does not propagate).
#pragma once

#include "kernels/gemm/device_gemm.h"

namespace ra::gemm {

class HostColumnMajorGemm final : public DeviceGemm {
 protected:
  void execute(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta, void* c) override;
};

}  // namespace ra::gemm

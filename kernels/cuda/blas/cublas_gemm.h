// The GEMMs of the GPU path through cuBLAS: a DeviceGemm (kernels/gemm/device_gemm.h)
// owning one cuBLAS handle bound to one stream. Each call is cublasGemmEx (batch_count 1)
// or cublasGemmStridedBatchedEx with CUBLAS_COMPUTE_32F: bf16/f16/f32 inputs, fp32
// accumulation and scalars, C in the input type or f32. Device pointers.
//
// The header names no CUDA type, so plain C++ (the training code) can hold one; the
// stream is a `void*` cudaStream_t as in runtime/device (Stream::native_handle()).
// Failures are ra::InternalError naming the call and cuBLAS's status name.
//
// Numerics: fp32 accumulation including split-K reductions (reduced-precision reductions
// disallowed), no TF32, no atomics. One object per stream and host thread: a cuBLAS handle
// is not safe to share between threads issuing work concurrently.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/gemm/device_gemm.h"

struct cublasContext;  // what cublasHandle_t points to (cublas_api.h)

namespace ra::kernels::cuda {

class CublasGemm final : public gemm::DeviceGemm {
 public:
  // Creates the handle on the current device (cublasCreate) and binds it to `stream`
  // (a cudaStream_t; nullptr: the legacy default stream).
  explicit CublasGemm(void* stream);
  ~CublasGemm() override;

  // Later GEMMs are enqueued on `stream`.
  void set_stream(void* stream);

 protected:
  void execute(const gemm::ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta,
               void* c) override;

 private:
  cublasContext* handle_ = nullptr;
};

// "13.0.2": the cuBLAS the process loaded (cublasGetProperty; needs no GPU).
std::string cublas_version();

// "CUBLAS_STATUS_INVALID_VALUE" for a cublasStatus_t given as int; "CUBLAS_STATUS_<n>?"
// for a value cuBLAS does not name.
std::string cublas_status_name(int status);

}  // namespace ra::kernels::cuda

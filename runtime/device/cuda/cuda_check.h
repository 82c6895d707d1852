// Every CUDA runtime call goes through RA_CUDA_CHECK: a failure becomes an
// ra::InternalError naming the call, file:line and CUDA's own description.
#pragma once

#include <cuda_runtime_api.h>

#include "runtime/core/check.h"

namespace ra::device::cuda {

// "cuda_stream.cc:42: cudaStreamQuery(stream_) failed: cudaErrorIllegalAddress: an illegal
// memory access was encountered"
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) throw_cuda_error(status, call, file, line);
}

}  // namespace ra::device::cuda

#define RA_CUDA_CHECK(call) ::ra::device::cuda::check_cuda((call), #call, RA_FILE_BASENAME, __LINE__)

#include "runtime/device/cuda/cuda_buffer.h"

#include <string>
#include <utility>

#include "runtime/device/cuda/cuda_check.h"

namespace ra::device::cuda {

CudaBuffer::CudaBuffer(std::size_t size_bytes, std::shared_ptr<DeviceContext> context)
    : context_(std::move(context)), size_bytes_(size_bytes) {
  if (size_bytes_ == 0) return;
  context_->make_current();
  const cudaError_t status = cudaMalloc(&data_, size_bytes_);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the (non-sticky) error so later calls do not report it
    throw ResourceError("out of memory on CUDA device " + std::to_string(context_->options().ordinal) +
                        ": cudaMalloc of " + std::to_string(size_bytes_) +
                        " bytes failed (`ringattn plan` estimates what a run needs per GPU)");
  }
  RA_CUDA_CHECK(status);
}

CudaBuffer::~CudaBuffer() {
  if (data_ == nullptr || context_->health() == DeviceHealth::kFailed) return;
  cudaSetDevice(context_->options().ordinal);
  cudaFree(data_);
}

}  // namespace ra::device::cuda

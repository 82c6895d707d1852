// Page-locked host memory (cudaHostAlloc): the only host memory a cudaMemcpyAsync can
// read or write without making the calling thread wait for the copy.
#pragma once

#include <cstddef>
#include <memory>

#include "runtime/core/tensor_view.h"
#include "runtime/device/cuda/device_context.h"

namespace ra::device::cuda {

class PinnedHostBuffer {
 public:
  PinnedHostBuffer(std::size_t size_bytes, std::shared_ptr<DeviceContext> context);
  // cudaFreeHost synchronizes with the device; skipped on a failed device (see CudaBuffer).
  ~PinnedHostBuffer();
  PinnedHostBuffer(const PinnedHostBuffer&) = delete;
  PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;

  std::size_t size_bytes() const { return size_bytes_; }
  void* raw() { return data_; }
  TensorView view(DType dtype, const Shape& shape, std::size_t offset_bytes = 0);

 private:
  std::shared_ptr<DeviceContext> context_;
  void* data_ = nullptr;
  std::size_t size_bytes_ = 0;
};

}  // namespace ra::device::cuda

#include "runtime/device/cuda/pinned_host_buffer.h"

#include <utility>

#include "runtime/device/cuda/cuda_check.h"

namespace ra::device::cuda {

PinnedHostBuffer::PinnedHostBuffer(std::size_t size_bytes, std::shared_ptr<DeviceContext> context)
    : context_(std::move(context)), size_bytes_(size_bytes) {
  if (size_bytes_ == 0) return;
  context_->make_current();
  RA_CUDA_CHECK(cudaHostAlloc(&data_, size_bytes_, cudaHostAllocDefault));
}

PinnedHostBuffer::~PinnedHostBuffer() {
  if (data_ == nullptr || context_->health() == DeviceHealth::kFailed) return;
  cudaFreeHost(data_);
}

TensorView PinnedHostBuffer::view(DType dtype, const Shape& shape, std::size_t offset_bytes) {
  const std::size_t need_bytes = offset_bytes + static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  RA_CHECK_LE(InternalError, need_bytes, size_bytes_, "pinned host buffer view ", shape.str(), " ", dtype_name(dtype),
              " at offset ", offset_bytes);
  return TensorView(static_cast<char*>(data_) + offset_bytes, dtype, shape, DeviceKind::kCpu);
}

}  // namespace ra::device::cuda

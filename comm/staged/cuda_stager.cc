#include "comm/staged/cuda_stager.h"

#include <utility>

#include "runtime/core/check.h"

namespace ra::comm::staged {
namespace {

class PinnedStagingBuffer final : public StagingBuffer {
 public:
  explicit PinnedStagingBuffer(std::unique_ptr<device::cuda::PinnedHostBuffer> pinned) : pinned_(std::move(pinned)) {}
  void* raw() override { return pinned_->raw(); }
  std::size_t size_bytes() const override { return pinned_->size_bytes(); }

 private:
  std::unique_ptr<device::cuda::PinnedHostBuffer> pinned_;
};

}  // namespace

CudaStager::CudaStager(device::cuda::CudaDevice& device) : device_(device), stream_(device.create_stream("staging")) {}

// Device::download/upload are the cudaMemcpyAsync on our stream; synchronize polls it
// (never blocking inside the driver) and rethrows a CUDA error.
void CudaStager::copy_to_host(void* dst_host, ConstTensorView src) {
  if (src.size_bytes() == 0) return;
  const std::lock_guard lock(mu_);
  device_.download(dst_host, src, *stream_);
  stream_->synchronize();
}

void CudaStager::copy_to_device(TensorView dst, const void* src_host) {
  if (dst.size_bytes() == 0) return;
  const std::lock_guard lock(mu_);
  device_.upload(dst, src_host, *stream_);
  stream_->synchronize();
}

std::unique_ptr<StagingBuffer> CudaStager::allocate_pinned(std::size_t size_bytes) {
  return std::make_unique<PinnedStagingBuffer>(device_.allocate_pinned(size_bytes));
}

}  // namespace ra::comm::staged

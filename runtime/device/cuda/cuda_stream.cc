#include "runtime/device/cuda/cuda_stream.h"

#include <utility>

#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_event.h"

namespace ra::device::cuda {

CudaStream::CudaStream(std::string name, std::shared_ptr<DeviceContext> context)
    : name_(std::move(name)), context_(std::move(context)) {
  context_->make_current();
  RA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

// cudaStreamDestroy returns at once; the driver releases the stream when its work is done.
CudaStream::~CudaStream() { cudaStreamDestroy(stream_); }

// The label only names CPU spans; on CUDA, profilers name the kernels themselves.
void CudaStream::launch(std::string_view /*label*/, std::function<void()> work) {
  context_->make_current();
  work();
}

void CudaStream::record(Event& event) { RA_CUDA_CHECK(cudaEventRecord(as_cuda(event).native(), stream_)); }

void CudaStream::wait(Event& event) { RA_CUDA_CHECK(cudaStreamWaitEvent(stream_, as_cuda(event).native(), 0)); }

void CudaStream::synchronize() {
  context_->host_wait(
      [this] {
        const cudaError_t status = cudaStreamQuery(stream_);
        if (status == cudaErrorNotReady) return PollStatus::kPending;
        RA_CUDA_CHECK(status);
        return PollStatus::kDone;
      },
      [this] { return "stream '" + name_ + "'"; });
}

CudaStream& as_cuda(Stream& stream) {
  auto* cuda = dynamic_cast<CudaStream*>(&stream);
  RA_CHECK(InternalError, cuda != nullptr, "stream '", stream.name(), "' is not a CUDA stream");
  return *cuda;
}

}  // namespace ra::device::cuda

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

void CudaStream::record(Event& event) { as_cuda(event).record_on_device(stream_); }

// An event recorded last on a CUDA stream: cudaStreamWaitEvent, the host goes on. One
// recorded last on a host-worker stream has no device-side handle to wait for, so the
// enqueuing host thread blocks here until the host worker got there, and only then
// enqueues the work that follows (docs/design.md §3: in the ring the compute stream's
// current block is already enqueued when this wait for the next one blocks, so the GPU
// computes while the host waits). Its failure is thrown here, to the enqueuing caller:
// this stream cannot be poisoned, since nothing of it runs on the host.
void CudaStream::wait(Event& event) {
  std::shared_ptr<cpu::Completion> host;
  if (as_cuda(event).enqueue_device_wait(stream_, host) != RecordedOn::kHost) return;
  if (std::exception_ptr failure = wait_for_host_record(*context_, *host)) std::rethrow_exception(failure);
}

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

#include "runtime/device/cuda/cuda_event.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "runtime/device/cuda/cuda_check.h"

namespace ra::device::cuda {

CudaEvent::CudaEvent(std::shared_ptr<DeviceContext> context) : context_(std::move(context)) {
  context_->make_current();
  RA_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
}

// cudaEventDestroy does not wait for a pending record: safe even on a failed device.
CudaEvent::~CudaEvent() { cudaEventDestroy(event_); }

void CudaEvent::record_on_device(cudaStream_t stream) {
  const std::lock_guard lock(mu_);
  RA_CUDA_CHECK(cudaEventRecord(event_, stream));
  recorded_on_ = RecordedOn::kDevice;
  host_record_.reset();
}

std::shared_ptr<cpu::Completion> CudaEvent::record_on_host() {
  const std::lock_guard lock(mu_);
  recorded_on_ = RecordedOn::kHost;
  host_record_ = std::make_shared<cpu::Completion>();
  return host_record_;
}

RecordedOn CudaEvent::enqueue_device_wait(cudaStream_t stream, std::shared_ptr<cpu::Completion>& host) {
  const std::lock_guard lock(mu_);
  if (recorded_on_ == RecordedOn::kDevice) RA_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0));
  host = host_record_;
  return recorded_on_;
}

PollStatus CudaEvent::query() const {
  std::shared_ptr<cpu::Completion> host;
  {
    const std::lock_guard lock(mu_);
    host = host_record_;
  }
  if (host) {
    const std::optional<std::exception_ptr> done = host->wait_for(std::chrono::microseconds(0));
    if (!done) return PollStatus::kPending;
    if (*done) std::rethrow_exception(*done);
    return PollStatus::kDone;
  }
  const cudaError_t status = cudaEventQuery(event_);
  if (status == cudaErrorNotReady) return PollStatus::kPending;
  RA_CUDA_CHECK(status);
  return PollStatus::kDone;
}

void CudaEvent::synchronize() {
  std::shared_ptr<cpu::Completion> host;
  {
    const std::lock_guard lock(mu_);
    host = host_record_;
  }
  if (host) {
    if (std::exception_ptr failure = wait_for_host_record(*context_, *host)) std::rethrow_exception(failure);
    return;
  }
  context_->host_wait([this] { return query(); }, [] { return std::string("event"); });
}

std::exception_ptr wait_for_host_record(DeviceContext& context, cpu::Completion& host) {
  std::exception_ptr failure;
  // Each poll round blocks in wait_for for one poll interval (then host_wait sleeps
  // another): during that half the completion's condition variable wakes this thread the
  // moment the host-worker stream gets there, instead of at the next poll.
  const std::chrono::microseconds slice = context.options().poll_interval;
  context.host_wait(
      [&] {
        const std::optional<std::exception_ptr> done = host.wait_for(slice);
        if (!done) return PollStatus::kPending;
        failure = *done;
        return PollStatus::kDone;
      },
      [] { return std::string("event recorded on a host-worker stream"); });
  return failure;
}

CudaEvent& as_cuda(Event& event) {
  auto* cuda = dynamic_cast<CudaEvent*>(&event);
  RA_CHECK(InternalError, cuda != nullptr, "an event of another device kind was passed to a CUDA stream");
  return *cuda;
}

}  // namespace ra::device::cuda

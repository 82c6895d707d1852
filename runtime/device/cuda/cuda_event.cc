#include "runtime/device/cuda/cuda_event.h"

#include <utility>

#include "runtime/device/cuda/cuda_check.h"

namespace ra::device::cuda {

CudaEvent::CudaEvent(std::shared_ptr<DeviceContext> context) : context_(std::move(context)) {
  context_->make_current();
  RA_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
}

// cudaEventDestroy does not wait for a pending record: safe even on a failed device.
CudaEvent::~CudaEvent() { cudaEventDestroy(event_); }

PollStatus CudaEvent::query() const {
  const cudaError_t status = cudaEventQuery(event_);
  if (status == cudaErrorNotReady) return PollStatus::kPending;
  RA_CUDA_CHECK(status);
  return PollStatus::kDone;
}

void CudaEvent::synchronize() {
  context_->host_wait([this] { return query(); }, [] { return std::string("event"); });
}

CudaEvent& as_cuda(Event& event) {
  auto* cuda = dynamic_cast<CudaEvent*>(&event);
  RA_CHECK(InternalError, cuda != nullptr, "an event of another device kind was passed to a CUDA stream");
  return *cuda;
}

}  // namespace ra::device::cuda

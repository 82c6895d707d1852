// A CUDA event (cudaEventDisableTiming: ordering only, the cheapest kind).
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

class CudaEvent final : public Event {
 public:
  explicit CudaEvent(std::shared_ptr<DeviceContext> context);
  ~CudaEvent() override;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  // Polls until the work recorded so far completed (see DeviceContext::host_wait). An
  // event never recorded is complete.
  void synchronize() override;
  // Without blocking: kDone once the recorded work completed. A CUDA error (a kernel
  // that faulted) throws ra::InternalError.
  PollStatus query() const;

  cudaEvent_t native() const { return event_; }

 private:
  std::shared_ptr<DeviceContext> context_;
  cudaEvent_t event_ = nullptr;
};

// The CUDA event behind a device::Event; ra::InternalError for an event of another device.
CudaEvent& as_cuda(Event& event);

}  // namespace ra::device::cuda

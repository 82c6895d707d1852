// A CUDA event (cudaEventDisableTiming: ordering only, the cheapest kind).
//
// It can also be recorded on a host-worker stream (CudaHostStream, docs/design.md §3):
// then its last record is a host-side completion instead of the cudaEvent_t. Either way
// a wait targets the record issued last before it — CUDA's semantics — so the event
// remembers which kind of stream recorded it last; waits read that under a lock, at the
// moment they are issued.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "runtime/device/cpu/cpu_event.h"
#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

// Which kind of stream recorded an event last.
enum class RecordedOn : std::uint8_t {
  kNothing,  // never recorded: complete, a wait on it is a no-op (as in CUDA)
  kDevice,   // a CUDA stream: the cudaEvent_t carries the record
  kHost,     // a host-worker stream: a cpu::Completion carries it (and its failure)
};

class CudaEvent final : public Event {
 public:
  explicit CudaEvent(std::shared_ptr<DeviceContext> context);
  ~CudaEvent() override;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  // Polls until the work recorded so far completed (see DeviceContext::host_wait). An
  // event never recorded is complete. A host record's failure is rethrown as it is.
  void synchronize() override;
  // Without blocking: kDone once the recorded work completed. A CUDA error (a kernel
  // that faulted) throws ra::InternalError; a failed host record rethrows its failure.
  PollStatus query() const;

  // The record bookkeeping, each under the event's lock (so a concurrent wait sees one
  // record or the other, never half of one):
  //  - record_on_device: cudaEventRecord on `stream`; later waits target it.
  //  - record_on_host: a fresh completion that the host-worker stream completes when it
  //    gets there; later waits target it.
  //  - enqueue_device_wait: what a wait issued now targets. kDevice: a cudaStreamWaitEvent
  //    on `stream` has been enqueued (nothing more to do); kHost: `host` is the completion
  //    to wait for; kNothing: nothing to wait for.
  void record_on_device(cudaStream_t stream);
  std::shared_ptr<cpu::Completion> record_on_host();
  RecordedOn enqueue_device_wait(cudaStream_t stream, std::shared_ptr<cpu::Completion>& host);

  cudaEvent_t native() const { return event_; }

 private:
  std::shared_ptr<DeviceContext> context_;
  cudaEvent_t event_ = nullptr;
  mutable std::mutex mu_;
  RecordedOn recorded_on_ = RecordedOn::kNothing;
  std::shared_ptr<cpu::Completion> host_record_;  // kHost only
};

// The CUDA event behind a device::Event; ra::InternalError for an event of another device.
CudaEvent& as_cuda(Event& event);

// Blocks the calling host thread until `host` completed, polling it under the device's
// deadline and wait monitors (DeviceContext::host_wait), and returns the failure it
// carried (null: none). The failure is returned, not thrown, so that a peer's error
// passing through a host-worker stream does not mark the device failed.
std::exception_ptr wait_for_host_record(DeviceContext& context, cpu::Completion& host);

}  // namespace ra::device::cuda

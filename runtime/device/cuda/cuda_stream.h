// A CUDA stream (created cudaStreamNonBlocking: it never synchronizes with the legacy
// default stream that libraries may use behind our back).
//
// Differences from the CPU streams that callers see:
//  - launch(label, fn) runs fn now, on the calling thread, with this device current; fn
//    enqueues device work on native_handle(). If fn throws, the exception reaches the
//    caller of launch() instead of poisoning the stream.
//  - A failure inside device work (a faulting kernel) is sticky in CUDA: it surfaces as
//    ra::InternalError from the next synchronize() on any stream or event.
//  - wait(event) on an event recorded last on a host-worker stream (CudaHostStream)
//    blocks the calling host thread until the host worker got there, and throws the
//    failure that event carries (docs/design.md §3, "Host-worker streams").
//  - With an observer that observes() it, the stream reports the GPU time of its work
//    and waits: a pair of timing events around each launch (a kWork span: from the
//    moment the GPU reached the launch to the moment it finished what the launch
//    enqueued) and around each wait (a kWait span: how long the GPU sat at the wait —
//    zero when the awaited data was there before the preceding work finished). Spans are
//    collected in stream order when their end event completed, at the latest at
//    synchronize(), and reported from the calling thread (host times: span_timing.h).
#pragma once

#include <cuda_runtime_api.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

class CudaStream final : public Stream {
 public:
  CudaStream(std::string name, std::shared_ptr<DeviceContext> context, StreamObserver* observer = nullptr);
  ~CudaStream() override;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  std::string_view name() const override { return name_; }
  void launch(std::string_view label, std::function<void()> work) override;
  void record(Event& event) override;
  void wait(Event& event) override;
  void synchronize() override;
  void* native_handle() override { return stream_; }

  cudaStream_t native() const { return stream_; }

 private:
  // A span whose events are recorded and not yet read.
  struct PendingSpan {
    cudaEvent_t begin, end;
    std::string label;
    SpanKind kind;
  };
  // Records `begin` now; returns the pending span to close with end_span().
  PendingSpan begin_span(std::string_view label, SpanKind kind);
  void end_span(PendingSpan span);
  // Reports the spans whose end completed, in order; stops at the first pending one.
  void report_completed();
  cudaEvent_t take_event();

  std::string name_;
  std::shared_ptr<DeviceContext> context_;
  cudaStream_t stream_ = nullptr;
  StreamObserver* observer_ = nullptr;  // null: no timing events at all
  cudaEvent_t anchor_ = nullptr;
  std::chrono::steady_clock::time_point anchor_host_;
  std::mutex spans_mu_;
  std::deque<PendingSpan> pending_;
  std::vector<cudaEvent_t> free_events_;
};

// The CUDA stream behind a device::Stream; ra::InternalError for a stream of another device.
CudaStream& as_cuda(Stream& stream);

}  // namespace ra::device::cuda

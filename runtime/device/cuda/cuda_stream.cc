#include "runtime/device/cuda/cuda_stream.h"

#include <optional>
#include <utility>
#include <vector>

#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_event.h"
#include "runtime/device/cuda/host/span_timing.h"

namespace ra::device::cuda {

CudaStream::CudaStream(std::string name, std::shared_ptr<DeviceContext> context, StreamObserver* observer)
    : name_(std::move(name)), context_(std::move(context)) {
  context_->make_current();
  RA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  if (observer != nullptr && observer->observes(name_)) {
    observer_ = observer;
    // The anchor: the host time at which the GPU passed this event (the stream is empty,
    // so synchronizing it here costs nothing).
    RA_CUDA_CHECK(cudaEventCreate(&anchor_));
    RA_CUDA_CHECK(cudaEventRecord(anchor_, stream_));
    RA_CUDA_CHECK(cudaEventSynchronize(anchor_));
    anchor_host_ = std::chrono::steady_clock::now();
  }
}

// cudaStreamDestroy returns at once; the driver releases the stream when its work is done.
// Timing events still pending are destroyed unread (cudaEventDestroy is deferred likewise).
CudaStream::~CudaStream() {
  for (const PendingSpan& s : pending_) {
    cudaEventDestroy(s.begin);
    cudaEventDestroy(s.end);
  }
  for (cudaEvent_t e : free_events_) cudaEventDestroy(e);
  if (anchor_ != nullptr) cudaEventDestroy(anchor_);
  cudaStreamDestroy(stream_);
}

// Without an observer the label names nothing; on CUDA, profilers name the kernels.
void CudaStream::launch(std::string_view label, std::function<void()> work) {
  context_->make_current();
  if (observer_ == nullptr) return work();
  PendingSpan span = begin_span(label, SpanKind::kWork);
  try {
    work();
  } catch (...) {
    end_span(std::move(span));  // the events are recorded either way: the FIFO stays ordered
    throw;
  }
  end_span(std::move(span));
}

cudaEvent_t CudaStream::take_event() {
  if (!free_events_.empty()) {
    cudaEvent_t e = free_events_.back();
    free_events_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  RA_CUDA_CHECK(cudaEventCreate(&e));  // with timing, unlike the ordering events
  return e;
}

CudaStream::PendingSpan CudaStream::begin_span(std::string_view label, SpanKind kind) {
  std::lock_guard<std::mutex> lock(spans_mu_);
  PendingSpan s{take_event(), take_event(), std::string(label), kind};
  RA_CUDA_CHECK(cudaEventRecord(s.begin, stream_));
  return s;
}

void CudaStream::end_span(PendingSpan span) {
  {
    std::lock_guard<std::mutex> lock(spans_mu_);
    RA_CUDA_CHECK(cudaEventRecord(span.end, stream_));
    pending_.push_back(std::move(span));
  }
  report_completed();  // keeps the queue short without waiting for anything
}

void CudaStream::report_completed() {
  std::vector<Span> done;
  std::vector<std::string> labels;  // the spans' label views point into these
  {
    std::lock_guard<std::mutex> lock(spans_mu_);
    while (!pending_.empty()) {
      PendingSpan& s = pending_.front();
      const cudaError_t status = cudaEventQuery(s.end);
      if (status == cudaErrorNotReady) break;
      RA_CUDA_CHECK(status);
      float offset_ms = 0, duration_ms = 0;
      RA_CUDA_CHECK(cudaEventElapsedTime(&offset_ms, anchor_, s.begin));
      RA_CUDA_CHECK(cudaEventElapsedTime(&duration_ms, s.begin, s.end));
      const SpanTimes t = span_times(anchor_host_, offset_ms, duration_ms);
      labels.push_back(std::move(s.label));
      done.push_back(Span{name_, {}, t.begin, t.end, s.kind});
      free_events_.push_back(s.begin);
      free_events_.push_back(s.end);
      pending_.pop_front();
    }
  }
  for (std::size_t i = 0; i < done.size(); ++i) {
    done[i].label = labels[i];
    observer_->on_span(done[i]);
  }
}

void CudaStream::record(Event& event) { as_cuda(event).record_on_device(stream_); }

// An event recorded last on a CUDA stream: cudaStreamWaitEvent, the host goes on. One
// recorded last on a host-worker stream has no device-side handle to wait for, so the
// enqueuing host thread blocks here until the host worker got there, and only then
// enqueues the work that follows (docs/design.md §3: in the ring the compute stream's
// current block is already enqueued when this wait for the next one blocks, so the GPU
// computes while the host waits). Its failure is thrown here, to the enqueuing caller:
// this stream cannot be poisoned, since nothing of it runs on the host.
//
// Observed, the wait is bracketed by timing events: the begin event completes when the
// GPU finished the work before the wait, the end event when it could go on.
void CudaStream::wait(Event& event) {
  std::optional<PendingSpan> span;
  if (observer_ != nullptr) span = begin_span("wait", SpanKind::kWait);
  std::shared_ptr<cpu::Completion> host;
  std::exception_ptr failure;
  if (as_cuda(event).enqueue_device_wait(stream_, host) == RecordedOn::kHost) {
    failure = wait_for_host_record(*context_, *host);
  }
  if (span) end_span(std::move(*span));
  if (failure) std::rethrow_exception(failure);
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
  if (observer_ != nullptr) report_completed();  // everything recorded has completed
}

CudaStream& as_cuda(Stream& stream) {
  auto* cuda = dynamic_cast<CudaStream*>(&stream);
  RA_CHECK(InternalError, cuda != nullptr, "stream '", stream.name(), "' is not a CUDA stream");
  return *cuda;
}

}  // namespace ra::device::cuda

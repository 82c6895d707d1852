// Seconds of stream work per step, from the CPU streams' spans: attention compute (work
// on the compute stream), communication (work on the comm stream) and exposed
// communication (the compute stream waiting for data). Thread safe: spans arrive from the
// streams' worker threads.
#pragma once

#include <mutex>
#include <string>

#include "runtime/device/device.h"

namespace ra::train {

struct SpanSeconds {
  double compute = 0, comm = 0, exposed_wait = 0;
};

class SpanTotals final : public device::StreamObserver {
 public:
  SpanTotals(std::string compute_stream, std::string comm_stream)
      : compute_(std::move(compute_stream)), comm_(std::move(comm_stream)) {}
  void on_span(const device::Span& span) override {
    const double s = std::chrono::duration<double>(span.end - span.begin).count();
    std::lock_guard<std::mutex> lock(mutex_);
    if (span.stream == compute_) {
      (span.kind == device::SpanKind::kWait ? totals_.exposed_wait : totals_.compute) += s;
    } else if (span.stream == comm_ && span.kind == device::SpanKind::kWork) {
      totals_.comm += s;
    }
  }
  bool observes(std::string_view stream) const override { return stream == compute_ || stream == comm_; }
  // The totals since the last call, and a fresh start.
  SpanSeconds take() {
    std::lock_guard<std::mutex> lock(mutex_);
    const SpanSeconds t = totals_;
    totals_ = {};
    return t;
  }

 private:
  std::string compute_, comm_;
  std::mutex mutex_;
  SpanSeconds totals_;
};

}  // namespace ra::train

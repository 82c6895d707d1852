// Per-rank timeline of what the streams did (compute, communication, waits), exported as
// Chrome trace JSON (viewable in Perfetto / chrome://tracing): one process per rank, one
// thread per stream.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "runtime/device/device.h"

namespace ra::trace {

struct TraceSpan {
  std::string track;  // stream name
  std::string name;   // work label, or "wait" for time a stream was blocked on an event
  double begin_us = 0, dur_us = 0;
  device::SpanKind kind = device::SpanKind::kWork;
};

class Timeline final : public device::StreamObserver {
 public:
  explicit Timeline(int rank) : rank_(rank), origin_(std::chrono::steady_clock::now()) {}
  // Times are microseconds since the origin; ranks reset it right after a barrier, so
  // their timelines line up to within the barrier's skew.
  void reset_origin();
  void on_span(const device::Span& span) override;
  void add(std::string track, std::string name, std::chrono::steady_clock::time_point begin,
           std::chrono::steady_clock::time_point end);
  std::vector<TraceSpan> spans() const;
  void clear();
  int rank() const { return rank_; }

 private:
  double since_origin_us(std::chrono::steady_clock::time_point t) const;
  int rank_;
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point origin_;
  std::vector<TraceSpan> spans_;
};

// Gathers every rank's spans over `comm` (collective) into one Chrome trace JSON
// document, returned on rank 0 (empty on the other ranks).
std::string gather_chrome_trace(comm::Communicator& comm, const Timeline& timeline);

}  // namespace ra::trace

// The deadline clock of one in-flight operation. An operation enqueued on a stream may
// legitimately wait behind earlier work (the exchange of step s+1 waits for the compute
// of step s), so its clock starts when the host first sees its start event complete —
// never early, and within one poll interval of the real start while anyone waits.
#pragma once

#include <chrono>
#include <optional>

#include "runtime/device/cuda/host/poll_wait.h"

namespace ra::comm::nccl {

class OpTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // `started`: what polling the operation's start event returned at `now`.
  void observe(device::cuda::PollStatus started, Clock::time_point now);
  bool started() const { return started_at_.has_value(); }
  // Zero until started.
  Clock::duration elapsed(Clock::time_point now) const;
  // Started, and running for at least `deadline`.
  bool expired(Clock::time_point now, Clock::duration deadline) const;

 private:
  std::optional<Clock::time_point> started_at_;
};

}  // namespace ra::comm::nccl

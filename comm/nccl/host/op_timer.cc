#include "comm/nccl/host/op_timer.h"

namespace ra::comm::nccl {

void OpTimer::observe(device::cuda::PollStatus started, Clock::time_point now) {
  if (!started_at_ && started == device::cuda::PollStatus::kDone) started_at_ = now;
}

OpTimer::Clock::duration OpTimer::elapsed(Clock::time_point now) const {
  if (!started_at_ || now < *started_at_) return Clock::duration::zero();
  return now - *started_at_;
}

bool OpTimer::expired(Clock::time_point now, Clock::duration deadline) const {
  return started_at_.has_value() && elapsed(now) >= deadline;
}

}  // namespace ra::comm::nccl

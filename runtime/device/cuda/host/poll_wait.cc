#include "runtime/device/cuda/host/poll_wait.h"

#include <cstdio>
#include <thread>

#include "runtime/core/error.h"
#include "runtime/core/poll_backoff.h"

namespace ra::device::cuda {

void poll_until_done(const std::function<PollStatus()>& query, const std::function<void()>& between_polls,
                     const PollOptions& options, const std::function<std::string()>& describe) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  PollBackoff backoff(options.poll_interval);  // 10 µs first, growing by a quarter to poll_interval
  for (;;) {
    const PollStatus status = query();
    between_polls();
    if (status == PollStatus::kDone) return;
    const auto elapsed = Clock::now() - start;
    if (elapsed >= options.timeout) {
      throw InternalError(describe() + " did not complete" +
                          deadline_tail(elapsed, options.timeout, options.deadline_name));
    }
    std::this_thread::sleep_for(backoff.next());
  }
}

std::string deadline_tail(std::chrono::duration<double> elapsed, std::chrono::duration<double> deadline,
                          std::string_view deadline_name) {
  char text[160];
  std::snprintf(text, sizeof text, " after %.2f s (deadline %.*s = %.2f s)", elapsed.count(),
                static_cast<int>(deadline_name.size()), deadline_name.data(), deadline.count());
  return text;
}

}  // namespace ra::device::cuda

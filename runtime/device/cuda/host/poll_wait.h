// The host side of every wait on the CUDA device: poll, sleep, check, give up at the
// deadline. Polling with a ~1 ms sleep instead of cudaStreamSynchronize keeps a waiting
// thread off the compute core (docs/design.md §4) and lets it stop — a blocking
// synchronize on a stalled NCCL kernel never returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ra::device::cuda {

enum class PollStatus : std::uint8_t { kPending, kDone };

struct PollOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(900)};
  std::chrono::microseconds poll_interval{1000};
  // Names the deadline in messages: "... (deadline <deadline_name> = 900.00 s)".
  std::string_view deadline_name = "cuda sync_timeout";
};

// Polls `query` until it reports kDone. `between_polls` runs after every query —
// including the one that saw completion, so checks on completed work run before the
// wait returns — and may throw to end the wait. Past `options.timeout` throws
// ra::InternalError "<describe()> did not complete<deadline_tail>".
void poll_until_done(const std::function<PollStatus()>& query, const std::function<void()>& between_polls,
                     const PollOptions& options, const std::function<std::string()>& describe);

// " after 1.50 s (deadline comm_timeout = 300.00 s)": the common tail of timeout messages.
std::string deadline_tail(std::chrono::duration<double> elapsed, std::chrono::duration<double> deadline,
                          std::string_view deadline_name);

}  // namespace ra::device::cuda

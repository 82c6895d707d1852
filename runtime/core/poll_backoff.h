// The sleeps between polls of a thread that waits for a transfer or a device (an MPI_Test
// loop, a CUDA event query, NCCL's async state).
//
// Why a backoff and not one fixed interval: under `mpirun --bind-to core` the waiting
// communication thread shares its core with the compute thread, so spinning steals compute
// and a long sleep delays the moment a finished transfer is seen. A training hop of a few
// hundred KiB completes within ~100 µs; with a fixed 1 ms sleep every such wait cost up to
// 1 ms (docs/performance.md: the passkey demo's step took 40 % longer at 1 ms than at
// 0.1 ms). Sleeps that start at kFirst and grow by a quarter up to `longest`:
//   sleep_0 = kFirst,  sleep_{k+1} = min(sleep_k + max(sleep_k / 4, 1 µs), longest)
// see a short transfer within tens of µs, and a longer one within ~25 % of the time
// already waited (each sleep is about a quarter of the sum before it) — a wait ended by a
// peer's late send (load imbalance, a few ms) is noticed promptly too, which doubling
// (latency up to 100 % of the wait) did not: the demo's step was up to 8 % slower with it.
// A long wait still wakes the core only once per `longest`: at kFirst = 10 µs and
// longest = 1 ms, the first 22 sleeps sum to 4.45 ms, so a wait of T ≫ 5 ms costs
// ≈ T / longest + 22 wake-ups.
// (Linux's default timer slack adds ~50 µs to each short sleep; that is still 20× below
// the fixed interval.)
#pragma once

#include <algorithm>
#include <chrono>

namespace ra {

class PollBackoff {
 public:
  static constexpr std::chrono::microseconds kFirst{10};

  // `longest`: the configured poll interval (comm.poll_interval, cuda poll_interval),
  // the longest sleep; a non-positive one means no sleep at all.
  explicit PollBackoff(std::chrono::microseconds longest)
      : longest_(std::max(longest, std::chrono::microseconds(0))), next_(std::min(kFirst, longest_)) {}

  // The sleep before the next poll; each call grows the following one by a quarter (at
  // least 1 µs), up to `longest`.
  std::chrono::microseconds next() {
    const std::chrono::microseconds now = next_;
    next_ = std::min(next_ + std::max(next_ / 4, std::chrono::microseconds(1)), longest_);
    return now;
  }

  std::chrono::microseconds longest() const { return longest_; }

 private:
  std::chrono::microseconds longest_;
  std::chrono::microseconds next_;
};

}  // namespace ra

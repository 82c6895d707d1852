#include "comm/nccl/host/bounded_call.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace ra::comm::nccl {
namespace {

using namespace std::chrono_literals;

TEST(RunBounded, AQuickCallReturns) {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  EXPECT_EQ(run_bounded([ran] { ran->store(true); }, 5s), BoundedOutcome::kReturned);
  EXPECT_TRUE(ran->load());
}

TEST(RunBounded, AThrowingCallCountsAsReturned) {
  EXPECT_EQ(run_bounded([] { throw std::runtime_error("abort failed"); }, 5s), BoundedOutcome::kReturned);
}

TEST(RunBounded, AHangingCallIsAbandonedAtTheLimit) {
  // A call that blocks until released, like ncclCommAbort on a dead network.
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false, finished = false;
  };
  auto gate = std::make_shared<Gate>();
  const auto begin = std::chrono::steady_clock::now();
  const BoundedOutcome outcome = run_bounded(
      [gate] {
        std::unique_lock<std::mutex> lock(gate->mu);
        gate->cv.wait(lock, [&] { return gate->open; });
        gate->finished = true;
        gate->cv.notify_all();
      },
      30ms);
  const auto waited = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(outcome, BoundedOutcome::kAbandoned);
  EXPECT_GE(waited, 30ms);
  EXPECT_LT(waited, 5s);
  // Release the abandoned call so it ends before the test binary does.
  std::unique_lock<std::mutex> lock(gate->mu);
  gate->open = true;
  gate->cv.notify_all();
  EXPECT_TRUE(gate->cv.wait_for(lock, 10s, [&] { return gate->finished; }));
}

}  // namespace
}  // namespace ra::comm::nccl

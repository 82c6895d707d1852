#include "comm/nccl/host/op_timer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ra::comm::nccl {
namespace {

using namespace std::chrono_literals;
using device::cuda::PollStatus;

TEST(OpTimer, AnOperationQueuedBehindOtherWorkNeverExpires) {
  OpTimer t;
  const auto t0 = OpTimer::Clock::now();
  t.observe(PollStatus::kPending, t0);
  EXPECT_FALSE(t.started());
  EXPECT_EQ(t.elapsed(t0 + 1h), OpTimer::Clock::duration::zero());
  EXPECT_FALSE(t.expired(t0 + 1h, 1s));
}

TEST(OpTimer, TheClockStartsWhenTheStartIsFirstSeen) {
  OpTimer t;
  const auto t0 = OpTimer::Clock::now();
  t.observe(PollStatus::kDone, t0);
  t.observe(PollStatus::kDone, t0 + 3s);  // later sightings do not move the start
  EXPECT_TRUE(t.started());
  EXPECT_EQ(t.elapsed(t0 + 5s), 5s);
  EXPECT_FALSE(t.expired(t0 + 4s, 5s));
  EXPECT_TRUE(t.expired(t0 + 5s, 5s));
}

}  // namespace
}  // namespace ra::comm::nccl

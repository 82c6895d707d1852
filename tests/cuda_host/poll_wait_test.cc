#include "runtime/device/cuda/host/poll_wait.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "runtime/core/error.h"

namespace ra::device::cuda {
namespace {

using namespace std::chrono_literals;

PollOptions fast(std::chrono::milliseconds timeout) {
  PollOptions o;
  o.timeout = timeout;
  o.poll_interval = 1ms;
  return o;
}

TEST(PollUntilDone, ReturnsOnceDoneAndChecksAfterTheLastPoll) {
  int queries = 0, checks = 0;
  poll_until_done([&] { return ++queries == 3 ? PollStatus::kDone : PollStatus::kPending; }, [&] { ++checks; },
                  fast(10s), [] { return std::string("stream"); });
  EXPECT_EQ(queries, 3);
  EXPECT_EQ(checks, 3);  // the completion-time check included
}

TEST(PollUntilDone, AlreadyDoneStillRunsTheChecks) {
  int checks = 0;
  poll_until_done([] { return PollStatus::kDone; }, [&] { ++checks; }, fast(10s), [] { return std::string("x"); });
  EXPECT_EQ(checks, 1);
}

TEST(PollUntilDone, AMonitorThatThrowsEndsTheWait) {
  int queries = 0;
  EXPECT_THROW(poll_until_done(
                   [&] {
                     ++queries;
                     return PollStatus::kPending;
                   },
                   [] { throw PeerError("rank 1: stalled"); }, fast(10s), [] { return std::string("stream"); }),
               PeerError);
  EXPECT_EQ(queries, 1);
}

TEST(PollUntilDone, GivesUpAtTheDeadlineNamingWhatItWaitedFor) {
  const auto begin = std::chrono::steady_clock::now();
  try {
    poll_until_done([] { return PollStatus::kPending; }, [] {}, fast(30ms),
                    [] { return std::string("stream 'compute'"); });
    FAIL() << "expected a deadline error";
  } catch (const InternalError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("stream 'compute' did not complete after 0.0", 0), 0u) << m;
    EXPECT_NE(m.find("(deadline cuda sync_timeout = 0.03 s)"), std::string::npos) << m;
  }
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 30ms);
}

// The sleeps back off from 10 µs to the poll interval (runtime/core/poll_backoff.h): the
// 29 sleeps before the 30th query at a 1 ms interval are 10, 12, …, 891 µs (4453 µs in
// all), then 7 × 1000 µs — at least 11.45 ms. (sleep_for never returns early, so the
// lower bound cannot flake.)
TEST(PollUntilDone, SleepsBackOffUpToThePollInterval) {
  PollOptions o = fast(10s);
  int queries = 0;
  const auto begin = std::chrono::steady_clock::now();
  poll_until_done([&] { return ++queries == 30 ? PollStatus::kDone : PollStatus::kPending; }, [] {}, o,
                  [] { return std::string("x"); });
  EXPECT_EQ(queries, 30);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 11453us);
}

TEST(DeadlineTail, FormatsElapsedAndDeadlineInSeconds) {
  EXPECT_EQ(deadline_tail(1500ms, 300s, "comm_timeout"), " after 1.50 s (deadline comm_timeout = 300.00 s)");
  EXPECT_EQ(deadline_tail(0ms, 250ms, "cuda sync_timeout"), " after 0.00 s (deadline cuda sync_timeout = 0.25 s)");
}

}  // namespace
}  // namespace ra::device::cuda

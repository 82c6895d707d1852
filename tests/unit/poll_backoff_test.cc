// PollBackoff (runtime/core/poll_backoff.h): sleeps start at 10 µs and double up to the
// configured interval, then stay there; an interval below 10 µs is never exceeded, and a
// zero one never sleeps. The expected sequences are written out, not computed.
#include "runtime/core/poll_backoff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace ra {
namespace {

std::vector<long> first_sleeps_us(long longest_us, int n) {
  PollBackoff backoff{std::chrono::microseconds(longest_us)};
  std::vector<long> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<long>(backoff.next().count()));
  return out;
}

TEST(PollBackoff, DoublesFromTenMicrosecondsUpToTheInterval) {
  EXPECT_THAT(first_sleeps_us(1000, 10), ::testing::ElementsAre(10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000));
}

TEST(PollBackoff, AShortIntervalIsNeverExceeded) {
  EXPECT_THAT(first_sleeps_us(100, 6), ::testing::ElementsAre(10, 20, 40, 80, 100, 100));
  EXPECT_THAT(first_sleeps_us(5, 3), ::testing::ElementsAre(5, 5, 5));
}

TEST(PollBackoff, AZeroOrNegativeIntervalNeverSleeps) {
  EXPECT_THAT(first_sleeps_us(0, 3), ::testing::ElementsAre(0, 0, 0));
  EXPECT_THAT(first_sleeps_us(-7, 2), ::testing::ElementsAre(0, 0));
}

}  // namespace
}  // namespace ra

// PollBackoff (runtime/core/poll_backoff.h): sleeps start at 10 µs and grow by a quarter
// (at least 1 µs) up to the configured interval, then stay there; an interval below 10 µs is never exceeded, and a
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

TEST(PollBackoff, GrowsByAQuarterFromTenMicrosecondsUpToTheInterval) {
  EXPECT_THAT(first_sleeps_us(1000, 24),
              ::testing::ElementsAre(10, 12, 15, 18, 22, 27, 33, 41, 51, 63, 78, 97, 121, 151, 188, 235, 293, 366, 457,
                                     571, 713, 891, 1000, 1000));
}

TEST(PollBackoff, AShortIntervalIsNeverExceeded) {
  EXPECT_THAT(first_sleeps_us(100, 14),
              ::testing::ElementsAre(10, 12, 15, 18, 22, 27, 33, 41, 51, 63, 78, 97, 100, 100));
  EXPECT_THAT(first_sleeps_us(5, 3), ::testing::ElementsAre(5, 5, 5));
  EXPECT_THAT(first_sleeps_us(1, 3), ::testing::ElementsAre(1, 1, 1));
}

TEST(PollBackoff, AZeroOrNegativeIntervalNeverSleeps) {
  EXPECT_THAT(first_sleeps_us(0, 3), ::testing::ElementsAre(0, 0, 0));
  EXPECT_THAT(first_sleeps_us(-7, 2), ::testing::ElementsAre(0, 0));
}

}  // namespace
}  // namespace ra

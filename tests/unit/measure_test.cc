// The measuring helpers every report uses (runtime/core/measure.h).
#include "runtime/core/measure.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace ra {
namespace {

TEST(Median, OddCountIsTheMiddleValueWhateverTheOrder) {
  EXPECT_EQ(median({7.0, 1.0, 3.0}, EvenCount::kMeanOfMiddles), 3.0);
  EXPECT_EQ(median({7.0, 1.0, 3.0}, EvenCount::kUpperMiddle), 3.0);
  EXPECT_EQ(median({5.0, 9.0, 2.0, 8.0, 1.0}, EvenCount::kMeanOfMiddles), 5.0);
  EXPECT_EQ(median({42.0}, EvenCount::kUpperMiddle), 42.0);
}

TEST(Median, EvenCountFollowsTheChosenConvention) {
  // Sorted: 1 2 4 10; the middles are 2 and 4.
  EXPECT_EQ(median({10.0, 2.0, 1.0, 4.0}, EvenCount::kMeanOfMiddles), 3.0);
  EXPECT_EQ(median({10.0, 2.0, 1.0, 4.0}, EvenCount::kUpperMiddle), 4.0);
  EXPECT_EQ(median({0.25, 0.5}, EvenCount::kMeanOfMiddles), 0.375);
  EXPECT_EQ(median({0.25, 0.5}, EvenCount::kUpperMiddle), 0.5);
}

TEST(Median, NoSamplesReadsZero) {
  EXPECT_EQ(median({}, EvenCount::kMeanOfMiddles), 0.0);
  EXPECT_EQ(median({}, EvenCount::kUpperMiddle), 0.0);
}

TEST(SecondsSince, MeasuresASleep) {
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const double s = seconds_since(start);
  EXPECT_GE(s, 0.030);
  EXPECT_LT(s, 30.0);  // only a wildly overloaded machine would take this long
}

TEST(PeakRss, GrowsAfterTouchingALargeAllocation) {
  const std::int64_t before_bytes = peak_rss_bytes();
  ASSERT_GT(before_bytes, 0);
  // More than the peak so far: resident memory then exceeds the old peak by the margin,
  // whatever was resident before.
  constexpr std::int64_t kMarginBytes = std::int64_t{64} << 20;
  const auto size_bytes = static_cast<std::size_t>(before_bytes + kMarginBytes);
  const std::unique_ptr<char[]> block(new char[size_bytes]);
  std::memset(block.get(), 0x5a, size_bytes);  // non-zero: every page is written, none left to the zero page
  const volatile char* probe = block.get();
  EXPECT_EQ(probe[size_bytes - 1], 0x5a);
  EXPECT_GE(peak_rss_bytes(), before_bytes + kMarginBytes);
}

}  // namespace
}  // namespace ra

// span_times: the host times of an event-timed CUDA span (runtime/device/cuda/host).
#include "runtime/device/cuda/host/span_timing.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ra::device::cuda {
namespace {

using Clock = std::chrono::steady_clock;
double us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

TEST(SpanTiming, BeginIsTheAnchorPlusTheOffsetAndTheDurationIsThePairs) {
  const Clock::time_point anchor = Clock::now();
  const SpanTimes t = span_times(anchor, 2.5f, 0.75f);
  EXPECT_NEAR(us(t.begin - anchor), 2500.0, 1e-3);
  EXPECT_NEAR(us(t.end - t.begin), 750.0, 1e-3);
}

TEST(SpanTiming, TheDurationKeepsItsResolutionHoursAfterTheAnchor) {
  // Three hours after the anchor a float millisecond offset is good to ~1 ms only; the
  // duration, from the pair itself, still resolves 0.5 µs.
  const Clock::time_point anchor = Clock::now();
  const SpanTimes t = span_times(anchor, 3.0f * 3600.0f * 1000.0f, 0.0005f);
  EXPECT_NEAR(us(t.begin - anchor), 3.0 * 3600.0 * 1e6, 2e3);
  EXPECT_NEAR(us(t.end - t.begin), 0.5, 1e-3);
}

TEST(SpanTiming, NegativeReadingsAreClampedToZero) {
  const Clock::time_point anchor = Clock::now();
  const SpanTimes t = span_times(anchor, -0.001f, -0.0001f);
  EXPECT_EQ(t.begin, anchor);
  EXPECT_EQ(t.end, anchor);
}

}  // namespace
}  // namespace ra::device::cuda

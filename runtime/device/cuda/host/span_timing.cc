#include "runtime/device/cuda/host/span_timing.h"

#include <algorithm>

namespace ra::device::cuda {

SpanTimes span_times(std::chrono::steady_clock::time_point anchor_host, float begin_after_anchor_ms,
                     float duration_ms) {
  using Clock = std::chrono::steady_clock;
  const auto from_ms = [](float ms) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(std::max(0.0f, ms)));
  };
  SpanTimes t;
  t.begin = anchor_host + from_ms(begin_after_anchor_ms);
  t.end = t.begin + from_ms(duration_ms);
  return t;
}

}  // namespace ra::device::cuda

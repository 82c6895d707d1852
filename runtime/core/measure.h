// What the benchmarks, the self-test and the trainer measure, measured one way: elapsed
// seconds on the steady clock, the median of repeated timings and the process's peak
// resident memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace ra {

// Seconds from `start` to now. The steady clock never jumps with the wall clock, so an
// interval is never negative nor stretched by an NTP step.
double seconds_since(std::chrono::steady_clock::time_point start);

// What the median of an even number of samples is. Both are kept because the reports
// have always used them: changing one would change published figures.
enum class EvenCount : std::uint8_t {
  kMeanOfMiddles,  // the textbook median, (v[n/2 - 1] + v[n/2]) / 2 (kernel-bench)
  kUpperMiddle,    // v[n/2] of the sorted samples: always one measured value (ring-bench, selftest)
};

// The median of `samples` (any order); 0 for no samples, so a figure with nothing
// measured reads 0 rather than being undefined.
double median(std::vector<double> samples, EvenCount even_count);

// The most memory the process has had resident so far (getrusage ru_maxrss), in bytes.
std::int64_t peak_rss_bytes();

}  // namespace ra

// Host time of a span a CUDA stream measured with a pair of timing events (CudaStream with
// an observer, cuda_stream.cc). The GPU gives times only relative to other events: the
// stream records an anchor event once, synchronizes it and notes the host clock; a span's
// begin is then anchor + elapsed(anchor, begin event), and its end begin + elapsed(begin
// event, end event). The duration is taken from the pair itself, not from two offsets
// from the anchor: cudaEventElapsedTime returns float milliseconds (a 24-bit mantissa),
// so an offset hours after the anchor is good to a millisecond or so, while the pair's
// own elapsed time keeps its ~0.5 µs resolution. Negative readings (the driver's rounding
// of two events a few ns apart) are clamped to zero.
#pragma once

#include <chrono>

namespace ra::device::cuda {

struct SpanTimes {
  std::chrono::steady_clock::time_point begin, end;
};

SpanTimes span_times(std::chrono::steady_clock::time_point anchor_host, float begin_after_anchor_ms, float duration_ms);

}  // namespace ra::device::cuda

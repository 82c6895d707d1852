// Which ranges of the flat gradient vector are summed over the ranks, and when: the
// backward finishes the layers' gradients one at a time, last layer first, and each
// bucket of finished layers is all-reduced while the backward of the earlier layers
// still runs (what PyTorch DDP and Megatron call gradient bucketing). Pure bookkeeping,
// no device or communicator: the device engine (device_engine.cc) enqueues the
// reductions this plans, and tests/train checks the plan covers every element once.
//
// A bucket is one contiguous range: finished ranges that adjoin the pending bucket (the
// layer before it in memory, as the reverse layer order delivers them) extend it; one
// that does not flushes it first. A bucket is flushed as soon as it holds at least
// `bucket_elems`. What the backward never reports (the embedding, the final norm and the
// head, finished when the step's backward returns) and a last partial bucket are
// reduced by finish(), as the ranges of [0, total) no bucket covered (a model smaller
// than one bucket: one all-reduce of everything, as without buckets).
#pragma once

#include <cstdint>
#include <vector>

namespace ra::train {

struct GradRange {
  std::int64_t first_elem = 0;
  std::int64_t elems = 0;
  std::int64_t end_elem() const { return first_elem + elems; }
  bool operator==(const GradRange&) const = default;
};

class GradBuckets {
 public:
  // bucket_elems = 0: no bucket is ever flushed early; finish() returns the whole vector
  // as one range (one all-reduce after the backward, no overlap).
  GradBuckets(std::int64_t total_elems, std::int64_t bucket_elems);

  // Starts a step: nothing pending, nothing reduced.
  void begin();
  // [r) is final. Returns the buckets to reduce now (none, one, or two when `r` did not
  // adjoin the pending bucket and is itself at least a bucket). Ranges must lie inside
  // [0, total) and not overlap any reported before in this step (an ra::InternalError).
  std::vector<GradRange> ready(GradRange r);
  // The backward is over: the pending bucket and every range no bucket covered, in
  // ascending order, adjoining ones merged.
  std::vector<GradRange> finish();

 private:
  std::int64_t total_elems_, bucket_elems_;
  GradRange pending_{};
  std::vector<GradRange> done_;  // reported ranges (pending included), for the checks and finish()
};

}  // namespace ra::train

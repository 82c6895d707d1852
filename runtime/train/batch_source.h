// Where training sequences come from: a pure function of (step, data-parallel rank), so
// that a resumed run sees exactly the data an uninterrupted one would (the data position
// of a checkpoint is its step). Held-out batches for evaluation come from a disjoint stream.
#pragma once

#include <cstdint>

#include "runtime/train/shard_batch.h"

namespace ra::train {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The batch of data-parallel group `dp_rank` (of dp_size) at `step`.
  virtual SequenceBatch batch(std::int64_t step, int dp_rank, int dp_size) = 0;
  // Held-out batch `index` of group dp_rank.
  virtual SequenceBatch eval_batch(std::int64_t index, int dp_rank, int dp_size) = 0;
};

}  // namespace ra::train

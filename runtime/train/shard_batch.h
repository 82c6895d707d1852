// This rank's tokens of a batch of sequences under sequence parallelism: every sequence
// is split over the sp ranks in the ring's layout (runtime/layout), and the rank's
// shards of all sequences are concatenated into one token array — one ring pass per
// layer serves the whole batch, because each sequence's segment ids are offset to be
// distinct from every other sequence's (the mask never crosses segments). Positions stay
// global within their sequence, so RoPE and ALiBi see the same values at any sp.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/data/batch.h"
#include "runtime/layout/sharding.h"

namespace ra::train {

// Full sequences, row-major [batch, seq_len]. targets −1: no loss; segments −1: padding.
using SequenceBatch = data::SequenceBatch;

struct LocalTokens {
  std::int64_t n = 0;  // batch × shard length
  std::vector<std::int32_t> tokens, targets, positions, segments;
};

// Throws ra::UsageError when the offset segment ids would not fit int32.
LocalTokens shard_batch(const SequenceBatch& b, layout::Layout layout, int sp_rank, int sp_size);

// Tokens with a target in the whole batch (the loss's denominator before all-reduce).
std::int64_t count_targets(const std::vector<std::int32_t>& targets);

}  // namespace ra::train

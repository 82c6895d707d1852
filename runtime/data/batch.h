// A batch of training sequences, row-major [batch, seq_len]: what every data source
// (packed corpora, the passkey task) produces and the trainer shards over the ring.
//
//   tokens     token id
//   targets    the token this position must predict (the next token of the same
//              document), or −1: no loss at this position
//   positions  int32, 0 at the first token of each segment, +1 per token
//   segments   int32 document id within the sequence (the attention mask never crosses
//              segments); −1: padding (never attended, never in the loss)
#pragma once

#include <cstdint>
#include <vector>

namespace ra::data {

struct SequenceBatch {
  std::int64_t batch = 0, seq_len = 0;
  std::vector<std::int32_t> tokens, targets, positions, segments;

  std::int64_t token_elems() const { return batch * seq_len; }
  // Positions with a target (the loss's denominator for this batch). Counted, not
  // stored, so it can never disagree with `targets`.
  std::int64_t valid_target_elems() const {
    std::int64_t n = 0;
    for (std::int32_t t : targets) n += t >= 0 ? 1 : 0;
    return n;
  }
};

}  // namespace ra::data

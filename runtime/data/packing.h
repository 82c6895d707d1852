// Documents packed into fixed-length sequences. Per epoch the documents are shuffled
// (seeded by (seed, epoch)) and concatenated into one stream, which is cut into
// sequences of seq_len tokens; the last sequence of an epoch is padded (segment −1).
// A document cut by a sequence boundary continues in the next sequence as a new segment
// starting at position 0 (its earlier part is not visible there). Targets are the next
// token of the same document piece; a piece's last token has none (−1), so no token is
// trained to predict across documents or sequences.
//
// The sequence k of the run (k = (step·dp + group)·batch + b) is a pure function of
// (documents, seed, seq_len, k): resuming at step N gives bitwise the same data.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/data/batch.h"
#include "runtime/data/documents.h"

namespace ra::data {

class PackedCorpus {
 public:
  // Throws ra::UsageError for seq_len < 2 or a corpus without tokens.
  PackedCorpus(Documents docs, std::int64_t seq_len, std::uint64_t seed);

  std::int64_t sequences_per_epoch() const { return per_epoch_; }
  // Global sequence k into row `row` of `out` (sized by the caller).
  void sequence(std::int64_t k, SequenceBatch& out, std::int64_t row) const;
  SequenceBatch batch(std::int64_t first_sequence, std::int64_t batch) const;

 private:
  struct Epoch {
    std::int64_t index = -1;
    std::vector<std::uint64_t> order;  // documents in stream order
    std::vector<std::uint64_t> start;  // stream offset of order[i]; last = stream length
  };
  const Epoch& epoch(std::int64_t e) const;

  Documents docs_;
  std::int64_t seq_len_;
  std::uint64_t seed_;
  std::int64_t per_epoch_;
  mutable Epoch cached_;
};

}  // namespace ra::data

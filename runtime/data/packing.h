// Documents packed into fixed-length training sequences (docs/data.md, "Packing").
//
// Per epoch e the documents are shuffled — Fisher–Yates driven by
// std::mt19937_64(mix_seed(seed, e, 0x5eed)) and draw_below, so the order is the same on
// every platform — and concatenated into one stream, which is cut into
// sequences_per_epoch() = ceil(tokens / seq_len) sequences of seq_len tokens; the last
// sequence of an epoch is padded at its end (token 0, target −1, position 0, segment −1).
//
// Within a sequence every document piece is its own segment (0, 1, … in order), so
// attention never crosses documents; positions restart at 0 for each piece. A document
// cut by a sequence boundary continues in the next sequence as a new piece starting at
// position 0: it cannot see its earlier part there (that part is in another sequence), so
// counting its positions from the cut keeps positions equal to "tokens of context this
// token can attend to". Targets are the next token of the same piece; a piece's last token
// has none (−1). Hence: no target crosses a document, and every token whose successor is
// in its document has a target except the one token before each sequence cut.
//
// Sequence k of the run is a pure function of (documents, seed, seq_len, k): resuming at
// step N gives bitwise the same data, so a checkpoint's data position is its step.
//
// Thread-safe: the shuffled order of the last epoch used is cached behind a mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "runtime/data/batch.h"
#include "runtime/data/documents.h"
#include "runtime/data/seeding.h"

namespace ra::data {

class PackedCorpus {
 public:
  // Throws ra::UsageError for seq_len outside [2, 2^31 − 1], invalid document offsets, a
  // corpus without tokens, or a token id that does not fit int32.
  PackedCorpus(Documents docs, std::int64_t seq_len, std::uint64_t seed);

  std::int64_t seq_len() const { return seq_len_; }
  std::int64_t sequences_per_epoch() const { return per_epoch_; }

  // Global sequence k (>= 0) into row `row` of `out` (sized by the caller).
  void sequence(std::int64_t k, SequenceBatch& out, std::int64_t row) const;
  // Sequences first_sequence … first_sequence + batch − 1, one per row.
  SequenceBatch batch(std::int64_t first_sequence, std::int64_t batch) const;
  // The batch of training step `step` for a single data-parallel group:
  // sequences step·batch … (step+1)·batch − 1. (With dp groups the trainer's data source
  // takes sequences (step·dp + group)·batch …, runtime/train/data_source.h.)
  SequenceBatch batch_at_step(std::int64_t step, std::int64_t batch) const;

  // The documents of epoch `epoch` in stream order (a permutation of 0 … count−1).
  std::vector<std::uint64_t> epoch_order(std::int64_t epoch) const;

 private:
  struct Epoch {
    std::int64_t index = -1;
    std::vector<std::uint64_t> order;  // documents in stream order
    std::vector<std::uint64_t> start;  // stream offset of order[i]; last = stream length
  };
  // The cached epoch `e`, rebuilt when another epoch was cached. Caller holds mutex_.
  const Epoch& epoch_locked(std::int64_t e) const;
  void fill_row(const Epoch& ep, std::int64_t k, SequenceBatch& out, std::int64_t row) const;

  Documents docs_;
  std::int64_t seq_len_;
  std::uint64_t seed_;
  std::int64_t per_epoch_ = 0;
  mutable std::mutex mutex_;
  mutable Epoch cached_;
};

}  // namespace ra::data

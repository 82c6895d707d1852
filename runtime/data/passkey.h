// The passkey-retrieval task (docs/data.md): a random key of K digits near the start of a
// long sequence must be reproduced at its end. Layout of a sequence of L tokens (one
// document, segment 0, positions 0 … L−1, byte-valued tokens):
//
//   position  0      1 … K       K+1 … L−K−2     L−K−1   L−K … L−1
//   token     '#'    the key     filler a–z      '?'     the key again
//
// Targets only where the key is reproduced: the token at L−K−1+i predicts key digit i
// (i = 0 … K−1); every other target is −1. The filler is random lowercase letters, the
// key random digits ('0'–'9'; digits, letters and the two markers never overlap).
//
// Why this shape:
// - The answer needs the key: digits are independent, and the answer position for
//   digit i sees (causally) only digits 0 … i−1 of the answer. Under sequence
//   parallelism (contiguous layout) the key is on the first rank and the question on the
//   last, so the task is solved only if attention crosses shard boundaries.
// - It is learnable by a small RoPE model: every answer position is exactly L−K−2
//   tokens after its digit in the key (one relative offset for all i), the key sits at a
//   fixed place right after '#', and the filler shares no token with the key. (A 2-layer,
//   d_model 64 model reaches 100% at L = 256 in 500 steps: docs/data.md.)
//
// Every sequence is a pure function of (seed, stream, index, row): row r of a batch comes
// from std::mt19937_64(mix_seed(seed, stream, index, r)), whatever the batch size.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/data/batch.h"
#include "runtime/data/seeding.h"

namespace ra::data {

struct PasskeyOptions {
  std::int64_t seq_len = 256;
  std::int64_t key_digits = 5;
  std::uint64_t seed = 1;
};

// Throws ra::UsageError when the sequence cannot hold marker, key, filler and answer
// (L >= 2·K + 3) or its positions do not fit int32.
void validate_passkey(const PasskeyOptions& o);

// `batch` sequences; `stream` separates training from evaluation, `index` is the batch's
// place in its stream (the trainer uses step·dp + group).
SequenceBatch passkey_batch(const PasskeyOptions& o, std::uint64_t stream, std::uint64_t index, std::int64_t batch);

struct PasskeyAccuracy {
  double sequence_accuracy = 0;        // sequences with every digit right / sequences (0 for none)
  std::vector<double> digit_accuracy;  // [K]: sequences with digit i right / sequences
};

// `predicted_tokens`: row-major [batch, seq_len], the model's prediction (argmax) at
// every position, i.e. its guess of that position's target; only positions with a target
// are read. Under teacher forcing, a sequence counted right here is also reproduced by
// greedy decoding after the '?'. Throws ra::UsageError when the sizes disagree or the
// rows do not all have the same number of targets (not a passkey batch).
PasskeyAccuracy passkey_accuracy(const std::vector<std::int32_t>& predicted_tokens, const SequenceBatch& batch);

}  // namespace ra::data

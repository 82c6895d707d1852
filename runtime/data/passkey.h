// The passkey-retrieval task: a random key of K digits near the start of a long sequence
// must be reproduced at its end. Layout of a sequence of L tokens (one document):
//
//   position  0      1 … K       K+1 … L−K−2     L−K−1   L−K … L−1
//   token     '#'    the key     filler a–z      '?'     the key again
//
// Targets only where the key is reproduced: the token at L−K−1+i predicts key digit i
// (i = 0 … K−1); every other target is −1. The filler is random lowercase letters, the
// key random digits, both from a seed that is a pure function of (seed, step, group,
// row). Under sequence parallelism the key and the question sit on different ranks, so
// the task is solved only if attention crosses shard boundaries; sequence accuracy
// (every digit right) is the passkey accuracy.
#pragma once

#include <cstdint>

#include "runtime/data/batch.h"

namespace ra::data {

struct PasskeyOptions {
  std::int64_t seq_len = 256;
  std::int64_t key_digits = 5;
  std::uint64_t seed = 1;
};

// Throws ra::UsageError when the sequence cannot hold marker, key, filler and answer.
void validate_passkey(const PasskeyOptions& o);

// Batch of `batch` sequences, sequence r from mix_seed(seed, stream, index, r).
SequenceBatch passkey_batch(const PasskeyOptions& o, std::uint64_t stream, std::uint64_t index, std::int64_t batch);

}  // namespace ra::data

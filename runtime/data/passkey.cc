#include "runtime/data/passkey.h"

#include <random>

#include "runtime/core/check.h"

namespace ra::data {

void validate_passkey(const PasskeyOptions& o) {
  RA_CHECK(UsageError, o.key_digits >= 1, "train.data.passkey_digits must be >= 1");
  RA_CHECK(UsageError, o.seq_len >= 2 * o.key_digits + 3, "train.seq_len = ", o.seq_len,
           " cannot hold a passkey of ", o.key_digits, " digits (needs >= 2·digits + 3 = ", 2 * o.key_digits + 3, ")");
}

SequenceBatch passkey_batch(const PasskeyOptions& o, std::uint64_t stream, std::uint64_t index, std::int64_t batch) {
  validate_passkey(o);
  const std::int64_t L = o.seq_len, K = o.key_digits, question = L - K - 1;
  SequenceBatch b;
  b.batch = batch;
  b.seq_len = L;
  const auto n = static_cast<std::size_t>(batch * L);
  b.tokens.resize(n);
  b.targets.assign(n, -1);
  b.positions.resize(n);
  b.segments.assign(n, 0);
  for (std::int64_t r = 0; r < batch; ++r) {
    std::mt19937_64 rng(mix_seed(o.seed, stream, index, static_cast<std::uint64_t>(r)));
    const auto row = static_cast<std::size_t>(r * L);
    std::int32_t* t = b.tokens.data() + row;
    for (std::int64_t i = 0; i < L; ++i) {
      t[i] = static_cast<std::int32_t>('a' + draw_below(rng, 26));
      b.positions[row + static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
    }
    t[0] = '#';
    t[question] = '?';
    for (std::int64_t i = 0; i < K; ++i) {
      const auto digit = static_cast<std::int32_t>('0' + draw_below(rng, 10));
      t[1 + i] = digit;
      t[question + 1 + i] = digit;
      b.targets[row + static_cast<std::size_t>(question + i)] = digit;
    }
  }
  return b;
}

}  // namespace ra::data

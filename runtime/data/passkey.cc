#include "runtime/data/passkey.h"

#include <limits>
#include <random>

#include "runtime/core/check.h"

namespace ra::data {
namespace {

constexpr std::int32_t kKeyMarker = '#', kQuestionMarker = '?';

}  // namespace

void validate_passkey(const PasskeyOptions& o) {
  RA_CHECK(UsageError, o.key_digits >= 1, "train.data.passkey_digits must be >= 1, got ", o.key_digits);
  RA_CHECK(UsageError, o.key_digits <= std::numeric_limits<std::int32_t>::max() / 2,
           "train.data.passkey_digits = ", o.key_digits, " is too large");
  RA_CHECK(UsageError, o.seq_len >= 2 * o.key_digits + 3, "train.seq_len = ", o.seq_len, " cannot hold a passkey of ",
           o.key_digits, " digits (needs >= 2·digits + 3 = ", 2 * o.key_digits + 3, ")");
  RA_CHECK(UsageError, o.seq_len <= std::numeric_limits<std::int32_t>::max(), "train.seq_len = ", o.seq_len,
           " does not fit int32 positions");
}

SequenceBatch passkey_batch(const PasskeyOptions& o, std::uint64_t stream, std::uint64_t index, std::int64_t batch) {
  validate_passkey(o);
  RA_CHECK(UsageError, batch >= 0, "passkey batch of ", batch, " sequences");
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
    // Draw order (a contract: it fixes every sequence): L filler letters, then K digits.
    std::mt19937_64 rng(mix_seed(o.seed, stream, index, static_cast<std::uint64_t>(r)));
    const auto row = static_cast<std::size_t>(r * L);
    std::int32_t* t = b.tokens.data() + row;
    for (std::int64_t i = 0; i < L; ++i) {
      t[i] = static_cast<std::int32_t>('a' + draw_below(rng, 26));
      b.positions[row + static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
    }
    t[0] = kKeyMarker;
    t[question] = kQuestionMarker;
    for (std::int64_t i = 0; i < K; ++i) {
      const auto digit = static_cast<std::int32_t>('0' + draw_below(rng, 10));
      t[1 + i] = digit;
      t[question + 1 + i] = digit;
      b.targets[row + static_cast<std::size_t>(question + i)] = digit;
    }
  }
  return b;
}

PasskeyAccuracy passkey_accuracy(const std::vector<std::int32_t>& predicted_tokens, const SequenceBatch& batch) {
  const auto n = static_cast<std::size_t>(batch.token_elems());
  RA_CHECK(UsageError, batch.targets.size() == n && predicted_tokens.size() == n,
           "passkey_accuracy: ", predicted_tokens.size(), " predictions and ", batch.targets.size(),
           " targets for a batch of ", batch.batch, " × ", batch.seq_len);
  PasskeyAccuracy acc;
  if (batch.batch == 0) return acc;
  std::vector<std::int64_t> digit_right;
  std::int64_t sequences_right = 0;
  for (std::int64_t r = 0; r < batch.batch; ++r) {
    std::size_t digit = 0;
    bool all_right = true;
    for (std::int64_t i = 0; i < batch.seq_len; ++i) {
      const auto at = static_cast<std::size_t>(r * batch.seq_len + i);
      if (batch.targets[at] < 0) continue;
      if (r == 0) digit_right.push_back(0);
      RA_CHECK(UsageError, digit < digit_right.size(), "passkey_accuracy: row ", r, " has more targets than row 0 (",
               digit_right.size(), "): not a passkey batch");
      const bool right = predicted_tokens[at] == batch.targets[at];
      digit_right[digit++] += right ? 1 : 0;
      all_right = all_right && right;
    }
    RA_CHECK(UsageError, digit == digit_right.size(), "passkey_accuracy: row ", r, " has ", digit,
             " targets, row 0 has ", digit_right.size(), ": not a passkey batch");
    RA_CHECK(UsageError, !digit_right.empty(), "passkey_accuracy: row 0 has no targets: not a passkey batch");
    sequences_right += all_right ? 1 : 0;
  }
  const auto rows = static_cast<double>(batch.batch);
  acc.sequence_accuracy = static_cast<double>(sequences_right) / rows;
  for (std::int64_t right : digit_right) acc.digit_accuracy.push_back(static_cast<double>(right) / rows);
  return acc;
}

}  // namespace ra::data

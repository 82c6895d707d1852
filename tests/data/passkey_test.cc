// The passkey task: the documented layout at several lengths and key sizes, targets on
// the answer only, sequences as pure functions of (seed, stream, index, row) pinned to
// fixed values, and the accuracy function.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/data/passkey.h"

namespace ra::data {
namespace {

std::string row_text(const SequenceBatch& b, std::int64_t r) {
  std::string s;
  for (std::int64_t i = 0; i < b.seq_len; ++i)
    s.push_back(static_cast<char>(b.tokens[static_cast<std::size_t>(r * b.seq_len + i)]));
  return s;
}

TEST(Passkey, LayoutAndTargets) {
  for (const PasskeyOptions o : {PasskeyOptions{64, 5, 3}, PasskeyOptions{256, 5, 1}, PasskeyOptions{13, 5, 2},
                                 PasskeyOptions{100, 1, 4}, PasskeyOptions{1000, 12, 5}}) {
    const std::int64_t L = o.seq_len, K = o.key_digits, B = 6, question = L - K - 1;
    const SequenceBatch b = passkey_batch(o, 1, 10, B);
    ASSERT_EQ(b.batch, B);
    ASSERT_EQ(b.seq_len, L);
    ASSERT_EQ(b.tokens.size(), static_cast<std::size_t>(B * L));
    EXPECT_EQ(b.valid_target_elems(), B * K) << "targets on the K answer positions only";
    for (std::int64_t r = 0; r < B; ++r) {
      const std::string t = row_text(b, r);
      SCOPED_TRACE("L " + std::to_string(L) + ", K " + std::to_string(K) + ": " + t);
      const std::string key = t.substr(1, static_cast<std::size_t>(K));
      EXPECT_EQ(t[0], '#');
      for (char c : key) EXPECT_TRUE(c >= '0' && c <= '9');
      for (std::int64_t i = K + 1; i < question; ++i)
        EXPECT_TRUE(t[static_cast<std::size_t>(i)] >= 'a' && t[static_cast<std::size_t>(i)] <= 'z');
      EXPECT_EQ(t[static_cast<std::size_t>(question)], '?');
      EXPECT_EQ(t.substr(static_cast<std::size_t>(question + 1)), key) << "the key again after the question";
      for (std::int64_t i = 0; i < L; ++i) {
        const auto at = static_cast<std::size_t>(r * L + i);
        EXPECT_EQ(b.positions[at], i);
        EXPECT_EQ(b.segments[at], 0);
        if (i >= question && i < question + K) {
          EXPECT_EQ(b.targets[at], key[static_cast<std::size_t>(i - question)]) << "answer position " << i;
          // Every answer position is the same distance after its digit in the key.
          EXPECT_EQ(b.tokens[static_cast<std::size_t>(r * L + 1 + (i - question))], b.targets[at]);
        } else {
          EXPECT_EQ(b.targets[at], -1) << "position " << i;
        }
      }
    }
  }
}

TEST(Passkey, DefaultsAndShortestSequence) {
  EXPECT_EQ(PasskeyOptions{}.key_digits, 5);
  const SequenceBatch b = passkey_batch({13, 5, 1}, 1, 0, 1);  // 2·5 + 3: one filler letter
  const std::string t = row_text(b, 0);
  EXPECT_EQ(t.substr(0, 1) + t.substr(6, 2), "#" + t.substr(6, 1) + "?");
  EXPECT_TRUE(t[6] >= 'a' && t[6] <= 'z');
}

TEST(Passkey, SequencesArePureFunctionsAndPinned) {
  const PasskeyOptions o{40, 5, 1};
  const SequenceBatch b = passkey_batch(o, 1, 0, 4);
  // std::mt19937_64 and our bounded draws are exact: these are the same on every platform.
  EXPECT_EQ(row_text(b, 0), "#45305xcpkjqqmycumuswdhapopqcapvqf?45305");
  EXPECT_EQ(passkey_batch(o, 1, 0, 4).tokens, b.tokens);
  const SequenceBatch two = passkey_batch(o, 1, 0, 2);
  EXPECT_EQ(row_text(two, 1), row_text(b, 1)) << "row r does not depend on the batch size";
  EXPECT_NE(passkey_batch(o, 2, 0, 4).tokens, b.tokens) << "the evaluation stream differs from training";
  EXPECT_NE(passkey_batch(o, 1, 1, 4).tokens, b.tokens) << "the next step differs";
  EXPECT_NE(passkey_batch({40, 5, 2}, 1, 0, 4).tokens, b.tokens) << "the seed changes the data";
  std::set<std::string> keys;
  for (std::int64_t r = 0; r < 4; ++r) keys.insert(row_text(b, r).substr(1, 5));
  EXPECT_EQ(keys.size(), 4u) << "rows differ";
}

TEST(Passkey, KeysUseEveryDigit) {
  const SequenceBatch b = passkey_batch({32, 5, 9}, 1, 0, 100);
  std::vector<int> count(10, 0);
  for (std::int64_t r = 0; r < 100; ++r)
    for (char c : row_text(b, r).substr(1, 5)) ++count[static_cast<std::size_t>(c - '0')];
  for (int d = 0; d < 10; ++d) EXPECT_GT(count[static_cast<std::size_t>(d)], 20) << "digit " << d << " of 500 draws";
}

TEST(Passkey, RefusesWhatCannotHoldTheTask) {
  EXPECT_THROW(passkey_batch({12, 5, 1}, 1, 0, 1), UsageError);  // < 2·5 + 3
  EXPECT_THROW(passkey_batch({64, 0, 1}, 1, 0, 1), UsageError);
  EXPECT_THROW(passkey_batch({64, 5, 1}, 1, 0, -1), UsageError);
  EXPECT_THROW(validate_passkey({std::int64_t{1} << 31, 5, 1}), UsageError);
  EXPECT_NO_THROW(validate_passkey({13, 5, 1}));
}

TEST(Passkey, AccuracyCountsSequencesAndDigits) {
  const PasskeyOptions o{48, 5, 1};
  const SequenceBatch b = passkey_batch(o, 1, 0, 4);
  // Predictions where there is no target are ignored: fill them with garbage.
  std::vector<std::int32_t> predicted(b.targets.size(), 'x');
  for (std::size_t i = 0; i < b.targets.size(); ++i)
    if (b.targets[i] >= 0) predicted[i] = b.targets[i];
  PasskeyAccuracy acc = passkey_accuracy(predicted, b);
  EXPECT_EQ(acc.sequence_accuracy, 1.0);
  EXPECT_EQ(acc.digit_accuracy, std::vector<double>(5, 1.0));

  const std::int64_t answer = 48 - 5 - 1;
  predicted[static_cast<std::size_t>(1 * 48 + answer + 2)] =
      b.targets[static_cast<std::size_t>(1 * 48 + answer + 2)] == '0' ? '1' : '0';
  predicted[static_cast<std::size_t>(3 * 48 + answer + 2)] = -1;
  predicted[static_cast<std::size_t>(3 * 48 + answer + 4)] = 'z';
  acc = passkey_accuracy(predicted, b);
  EXPECT_EQ(acc.sequence_accuracy, 0.5);
  EXPECT_EQ(acc.digit_accuracy, (std::vector<double>{1.0, 1.0, 0.5, 1.0, 0.75}));
}

TEST(Passkey, AccuracyRefusesMismatchedInputs) {
  const SequenceBatch b = passkey_batch({48, 5, 1}, 1, 0, 2);
  EXPECT_THROW(passkey_accuracy(std::vector<std::int32_t>(10, 0), b), UsageError);
  SequenceBatch uneven = b;
  uneven.targets[static_cast<std::size_t>(48 + 3)] = 'a';  // row 1 has 6 targets
  EXPECT_THROW(passkey_accuracy(uneven.tokens, uneven), UsageError);
  const PasskeyAccuracy none = passkey_accuracy({}, passkey_batch({48, 5, 1}, 1, 0, 0));
  EXPECT_EQ(none.sequence_accuracy, 0.0);
  EXPECT_TRUE(none.digit_accuracy.empty());
}

}  // namespace
}  // namespace ra::data

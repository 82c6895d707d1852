// Packing: every sequence against a brute-force model of the rules (docs/data.md), the
// rules themselves checked without the model's help (each epoch holds every token once,
// targets never cross documents, the only lost targets are at sequence cuts, padding only
// at the end of an epoch), the shuffle pinned to fixed values (the same on every
// platform), and batches as pure functions of their step.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/data/packing.h"

namespace ra::data {
namespace {

// Token values doc·1000 + index: each token says where it comes from.
Documents corpus_of_lengths(const std::vector<std::uint32_t>& lengths) {
  Documents d;
  d.offsets = {0};
  for (std::uint32_t doc = 0; doc < lengths.size(); ++doc) {
    for (std::uint32_t i = 0; i < lengths[doc]; ++i) d.tokens.push_back(doc * 1000 + i);
    d.offsets.push_back(d.tokens.size());
  }
  return d;
}

// Random lengths 0 … max_len (empty documents included), from a test-local generator.
Documents random_corpus(std::uint64_t seed, std::uint32_t docs, std::uint32_t max_len) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> lengths(docs);
  for (auto& n : lengths) n = static_cast<std::uint32_t>(rng() % (max_len + 1));
  if (std::all_of(lengths.begin(), lengths.end(), [](std::uint32_t n) { return n == 0; })) lengths[0] = 1;
  return corpus_of_lengths(lengths);
}

struct Row {
  std::vector<std::int32_t> tokens, targets, positions, segments;
};

// The rules, written the slow obvious way: lay the epoch's documents end to end as
// (document, index) pairs, cut out sequence k's window, and derive every field from its
// neighbours in the window.
Row brute_force(const Documents& docs, const std::vector<std::uint64_t>& order, std::int64_t seq_len, std::int64_t k,
                std::int64_t per_epoch) {
  struct Tok {
    std::uint64_t doc, index;
  };
  std::vector<Tok> stream;
  for (std::uint64_t doc : order)
    for (std::uint64_t i = 0; i < docs.offsets[doc + 1] - docs.offsets[doc]; ++i) stream.push_back({doc, i});
  const auto begin = static_cast<std::size_t>((k % per_epoch) * seq_len);
  std::vector<Tok> window(
      stream.begin() + static_cast<std::ptrdiff_t>(begin),
      stream.begin() + static_cast<std::ptrdiff_t>(std::min(stream.size(), begin + static_cast<std::size_t>(seq_len))));
  auto token = [&](const Tok& t) { return static_cast<std::int32_t>(docs.tokens[docs.offsets[t.doc] + t.index]); };
  Row r;
  std::int32_t segment = 0, run_start = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(seq_len); ++i) {
    if (i >= window.size()) {
      r.tokens.push_back(0);
      r.targets.push_back(-1);
      r.positions.push_back(0);
      r.segments.push_back(-1);
      continue;
    }
    if (i > 0 && window[i].doc != window[i - 1].doc) {
      ++segment;
      run_start = static_cast<std::int32_t>(i);
    }
    r.tokens.push_back(token(window[i]));
    const bool next_same_doc = i + 1 < window.size() && window[i + 1].doc == window[i].doc;
    r.targets.push_back(next_same_doc ? token(window[i + 1]) : -1);
    r.positions.push_back(static_cast<std::int32_t>(i) - run_start);
    r.segments.push_back(segment);
  }
  return r;
}

Row row_of(const SequenceBatch& b, std::int64_t r) {
  auto slice = [&](const std::vector<std::int32_t>& v) {
    return std::vector<std::int32_t>(v.begin() + r * b.seq_len, v.begin() + (r + 1) * b.seq_len);
  };
  return {slice(b.tokens), slice(b.targets), slice(b.positions), slice(b.segments)};
}

TEST(Packing, EverySequenceMatchesTheBruteForceModel) {
  int cases = 0;
  for (std::uint64_t corpus_seed : {1u, 2u, 3u}) {
    const Documents docs = random_corpus(corpus_seed, 4 + 5 * static_cast<std::uint32_t>(corpus_seed), 40);
    for (std::int64_t seq_len : {2, 3, 7, 16, 64, 1000}) {
      const PackedCorpus corpus(docs, seq_len, 100 + corpus_seed);
      const std::int64_t per_epoch = corpus.sequences_per_epoch();
      EXPECT_EQ(per_epoch, (static_cast<std::int64_t>(docs.tokens.size()) + seq_len - 1) / seq_len);
      for (std::int64_t k = 0; k < 3 * per_epoch; ++k) {  // three epochs
        const std::vector<std::uint64_t> order = corpus.epoch_order(k / per_epoch);
        const Row want = brute_force(docs, order, seq_len, k, per_epoch);
        const Row got = row_of(corpus.batch(k, 1), 0);
        ASSERT_EQ(got.tokens, want.tokens) << "corpus " << corpus_seed << ", seq_len " << seq_len << ", sequence " << k;
        ASSERT_EQ(got.targets, want.targets) << "sequence " << k;
        ASSERT_EQ(got.positions, want.positions) << "sequence " << k;
        ASSERT_EQ(got.segments, want.segments) << "sequence " << k;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 500);
}

// The same rules without the model: what a user relies on, checked on the output alone.
TEST(Packing, InvariantsHoldOnTheOutputAlone) {
  const Documents docs = corpus_of_lengths({1, 37, 0, 5, 16, 2, 0, 90, 3, 17, 16});  // longer and shorter than seq_len
  const std::int64_t L = 16;
  const PackedCorpus corpus(docs, L, 7);
  const std::int64_t per_epoch = corpus.sequences_per_epoch();
  for (std::int64_t e = 0; e < 3; ++e) {
    std::vector<std::uint32_t> seen;
    std::int64_t cut_documents = 0, lost_targets = 0, padding = 0;
    for (std::int64_t k = e * per_epoch; k < (e + 1) * per_epoch; ++k) {
      const SequenceBatch b = corpus.batch(k, 1);
      for (std::int64_t i = 0; i < L; ++i) {
        const auto at = static_cast<std::size_t>(i);
        if (b.segments[at] < 0) {  // padding: only in the epoch's last sequence, only at its end
          EXPECT_EQ(k, (e + 1) * per_epoch - 1);
          EXPECT_EQ(b.targets[at], -1);
          if (i + 1 < L) {
            EXPECT_LT(b.segments[at + 1], 0) << "padding before a real token";
          }
          ++padding;
          continue;
        }
        const auto tok = static_cast<std::uint32_t>(b.tokens[at]);
        const std::uint32_t doc = tok / 1000, index = tok % 1000;
        const auto doc_len = static_cast<std::uint32_t>(docs.offsets[doc + 1] - docs.offsets[doc]);
        seen.push_back(tok);
        const bool piece_start = i == 0 || b.segments[at - 1] != b.segments[at];
        if (piece_start) {
          EXPECT_EQ(b.positions[at], 0);
          if (i > 0) {
            EXPECT_EQ(b.segments[at], b.segments[at - 1] + 1) << "segments count pieces";
            EXPECT_NE(static_cast<std::uint32_t>(b.tokens[at - 1]) / 1000, doc) << "one document, one segment";
          }
        } else {
          EXPECT_EQ(b.positions[at], b.positions[at - 1] + 1);
          EXPECT_EQ(static_cast<std::uint32_t>(b.tokens[at - 1]), tok - 1)
              << "a segment is consecutive tokens of one document";
        }
        if (b.targets[at] >= 0) {
          EXPECT_EQ(b.targets[at], static_cast<std::int32_t>(tok + 1))
              << "the target is the next token of the document";
          EXPECT_LT(index + 1, doc_len);
        } else if (index + 1 < doc_len) {
          EXPECT_EQ(i, L - 1) << "a target is lost only where the sequence cuts the document";
          ++lost_targets;
        }
        if (i == L - 1 && index + 1 < doc_len) ++cut_documents;
      }
    }
    std::sort(seen.begin(), seen.end());
    std::vector<std::uint32_t> all = docs.tokens;
    std::sort(all.begin(), all.end());
    EXPECT_EQ(seen, all) << "epoch " << e << " holds every token exactly once";
    EXPECT_EQ(lost_targets, cut_documents);
    EXPECT_EQ(padding, per_epoch * L - static_cast<std::int64_t>(docs.tokens.size()));
  }
}

TEST(Packing, ShuffleIsPinned) {
  // std::mt19937_64 and our bounded draws are specified exactly: these orders are the
  // same on every platform and standard library. A change here changes every corpus run.
  const PackedCorpus corpus(corpus_of_lengths(std::vector<std::uint32_t>(10, 3)), 8, 42);
  EXPECT_EQ(corpus.epoch_order(0), (std::vector<std::uint64_t>{7, 6, 2, 9, 4, 1, 3, 0, 5, 8}));
  EXPECT_EQ(corpus.epoch_order(1), (std::vector<std::uint64_t>{1, 5, 4, 9, 2, 8, 3, 0, 6, 7}));
  std::vector<std::uint64_t> sorted = corpus.epoch_order(5);
  std::sort(sorted.begin(), sorted.end());
  for (std::uint64_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i) << "a permutation";
}

TEST(Packing, BatchIsAPureFunctionOfTheStep) {
  const Documents docs = random_corpus(9, 60, 50);
  const PackedCorpus a(docs, 32, 7), same(docs, 32, 7), other_seed(docs, 32, 8);
  const std::int64_t B = 4, steps = 3 * a.sequences_per_epoch() / B;  // crosses epochs
  std::vector<SequenceBatch> run;
  for (std::int64_t s = 0; s < steps; ++s) run.push_back(a.batch_at_step(s, B));
  // Resuming at step N on a fresh corpus object (as after a restart) gives the same batches.
  for (std::int64_t s = steps / 2; s < steps; ++s) {
    const SequenceBatch b = same.batch_at_step(s, B);
    EXPECT_EQ(b.tokens, run[static_cast<std::size_t>(s)].tokens) << "step " << s;
    EXPECT_EQ(b.targets, run[static_cast<std::size_t>(s)].targets) << "step " << s;
    EXPECT_EQ(b.positions, run[static_cast<std::size_t>(s)].positions) << "step " << s;
    EXPECT_EQ(b.segments, run[static_cast<std::size_t>(s)].segments) << "step " << s;
  }
  // Out of order, after other epochs were cached: still the same.
  for (std::int64_t s = steps - 1; s >= 0; s -= 3)
    EXPECT_EQ(a.batch_at_step(s, B).tokens, run[static_cast<std::size_t>(s)].tokens);
  EXPECT_EQ(a.batch_at_step(2, B).tokens, a.batch(2 * B, B).tokens);
  for (std::int64_t s = 1; s < steps; ++s)
    EXPECT_NE(run[static_cast<std::size_t>(s)].tokens, run[0].tokens) << "step " << s;
  EXPECT_NE(other_seed.batch_at_step(0, B).tokens, run[0].tokens) << "the seed changes the order";
  EXPECT_NE(a.epoch_order(0), a.epoch_order(1)) << "each epoch has its own order";
}

TEST(Packing, ConcurrentCallersSeeTheSameBatches) {
  const Documents docs = random_corpus(4, 80, 30);
  const PackedCorpus corpus(docs, 16, 3);
  const std::int64_t per_epoch = corpus.sequences_per_epoch();
  std::vector<std::vector<std::int32_t>> want;
  for (std::int64_t k = 0; k < 4 * per_epoch; ++k) want.push_back(corpus.batch(k, 1).tokens);
  // Two threads alternate between epochs, so each rebuilds the cache under the other.
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        for (std::int64_t k = t; k < 4 * per_epoch; k += 2)
          mismatches[static_cast<std::size_t>(t)] +=
              corpus.batch(k, 1).tokens != want[static_cast<std::size_t>(k)] ? 1 : 0;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0}));
}

// Empty documents take no segment id: ids stay in [0, seq_len), which the trainer relies
// on to keep the sequences of a batch apart (runtime/train/shard_batch.h offsets sequence
// s's ids by s·seq_len).
TEST(Packing, EmptyDocumentsTakeNoSegmentId) {
  std::vector<std::uint32_t> lengths{1};
  for (int i = 0; i < 20; ++i) lengths.push_back(0);
  lengths.push_back(1);
  lengths.push_back(2);
  const PackedCorpus corpus(corpus_of_lengths(lengths), 4, 5);
  ASSERT_EQ(corpus.sequences_per_epoch(), 1);
  for (std::int64_t e = 0; e < 5; ++e) {
    const SequenceBatch b = corpus.batch(e, 1);
    EXPECT_EQ(b.segments[0], 0);
    for (std::size_t i = 1; i < 4; ++i) {
      EXPECT_GE(b.segments[i], b.segments[i - 1]);
      EXPECT_LE(b.segments[i], b.segments[i - 1] + 1) << "epoch " << e;
    }
    EXPECT_EQ(b.segments[3], 2) << "three non-empty documents, three segments";
  }
}

TEST(Packing, ValidTargetsAreCounted) {
  const PackedCorpus corpus(corpus_of_lengths({3, 2}), 8, 1);  // one sequence: 2 + 1 targets, 3 padding
  const SequenceBatch b = corpus.batch(0, 1);
  EXPECT_EQ(b.valid_target_elems(), 3);
  EXPECT_EQ(b.token_elems(), 8);
}

TEST(Packing, RefusesBadArguments) {
  const Documents ok = corpus_of_lengths({3});
  EXPECT_THROW(PackedCorpus(ok, 1, 0), UsageError);
  EXPECT_THROW(PackedCorpus(ok, std::int64_t{1} << 31, 0), UsageError);
  EXPECT_THROW(PackedCorpus(corpus_of_lengths({0, 0}), 8, 0), UsageError);  // no tokens
  Documents bad = ok;
  bad.offsets = {0, 2};
  EXPECT_THROW(PackedCorpus(bad, 8, 0), UsageError);
  Documents huge = ok;
  huge.tokens[1] = 0x80000000u;  // does not fit the batch's int32
  EXPECT_THROW(PackedCorpus(huge, 8, 0), UsageError);
  const PackedCorpus corpus(ok, 8, 0);
  EXPECT_THROW(corpus.batch(-1, 1), UsageError);
  EXPECT_THROW(corpus.batch_at_step(0, -1), UsageError);
  SequenceBatch small = corpus.batch(0, 1);
  EXPECT_THROW(corpus.sequence(0, small, 1), UsageError);  // row 1 of a one-row batch
}

}  // namespace
}  // namespace ra::data

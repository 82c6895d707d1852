// Sharding layouts: coverage, round trips, padding, and zigzag's causal balance.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/layout/sharding.h"

namespace ra::layout {
namespace {

const Layout kLayouts[] = {Layout::kContiguous, Layout::kZigzag, Layout::kStriped};

std::vector<std::int64_t> shard_of(const ShardPlan& p, int rank) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < p.shard_len; ++i) out.push_back(global_index(p, rank, i));
  return out;
}

TEST(Sharding, EveryPaddedTokenOnExactlyOneRank) {
  for (Layout l : kLayouts) {
    for (int ranks = 1; ranks <= 8; ++ranks) {
      for (std::int64_t len : {1, 7, 16, 113, 1000}) {
        const ShardPlan p = plan_shards(l, ranks, len);
        ASSERT_GE(p.padded_len, len);
        ASSERT_LT(p.padding_elems(), l == Layout::kZigzag ? 2 * ranks : ranks) << "more padding than needed";
        ASSERT_EQ(p.shard_len * ranks, p.padded_len);
        std::vector<int> seen(static_cast<std::size_t>(p.padded_len), 0);
        for (int r = 0; r < ranks; ++r)
          for (std::int64_t g : shard_of(p, r)) seen[static_cast<std::size_t>(g)]++;
        for (std::size_t g = 0; g < seen.size(); ++g)
          ASSERT_EQ(seen[g], 1) << layout_name(l) << " P=" << ranks << " L=" << len << " token " << g;
      }
    }
  }
}

TEST(Sharding, SmallExamples) {
  const ShardPlan z = plan_shards(Layout::kZigzag, 2, 8);
  EXPECT_EQ(shard_of(z, 0), (std::vector<std::int64_t>{0, 1, 6, 7}));
  EXPECT_EQ(shard_of(z, 1), (std::vector<std::int64_t>{2, 3, 4, 5}));
  const ShardPlan s = plan_shards(Layout::kStriped, 3, 7);
  EXPECT_EQ(s.padded_len, 9);
  EXPECT_EQ(shard_of(s, 1), (std::vector<std::int64_t>{1, 4, 7}));
  const ShardPlan c = plan_shards(Layout::kContiguous, 3, 7);
  EXPECT_EQ(shard_of(c, 2), (std::vector<std::int64_t>{6, 7, 8}));
}

TEST(Sharding, RowsRoundTripAndPaddingIsZeroedAndMasked) {
  for (Layout l : kLayouts) {
    for (int ranks : {1, 2, 3, 4}) {
      const std::int64_t len = 113, row = 3;
      const ShardPlan p = plan_shards(l, ranks, len);
      std::vector<float> full(static_cast<std::size_t>(len * row)), back(full.size(), -1.0f);
      std::iota(full.begin(), full.end(), 1.0f);
      std::vector<std::int32_t> pos(static_cast<std::size_t>(len)), seg(pos.size(), 5);
      std::iota(pos.begin(), pos.end(), 0);
      for (int r = 0; r < ranks; ++r) {
        std::vector<float> shard(static_cast<std::size_t>(p.shard_len * row), 9.0f);
        shard_rows(p, r, full.data(), row * 4, shard.data());
        std::vector<std::int32_t> spos(static_cast<std::size_t>(p.shard_len)), sseg(spos.size());
        shard_meta(p, r, pos.data(), seg.data(), spos.data(), sseg.data());
        for (std::int64_t i = 0; i < p.shard_len; ++i) {
          const bool pad = global_index(p, r, i) >= len;
          EXPECT_EQ(sseg[static_cast<std::size_t>(i)], pad ? -1 : 5);
          EXPECT_EQ(spos[static_cast<std::size_t>(i)], global_index(p, r, i));
          if (pad) {
            EXPECT_EQ(shard[static_cast<std::size_t>(i * row)], 0.0f);
          }
        }
        unshard_rows(p, r, shard.data(), row * 4, back.data());
      }
      EXPECT_EQ(back, full) << layout_name(l) << " P=" << ranks;
    }
  }
}

// Causal work of a rank = visible (query, key) pairs of its queries over the whole
// sequence. Zigzag pairs early and late chunks, so every rank does the same work.
TEST(Sharding, ZigzagBalancesCausalWork) {
  for (int ranks : {2, 3, 4, 8}) {
    auto imbalance = [&](Layout l) {
      const ShardPlan p = plan_shards(l, ranks, 4096);
      double most = 0, least = 1e300;
      for (int r = 0; r < ranks; ++r) {
        double w = 0;
        for (std::int64_t g : shard_of(p, r)) w += static_cast<double>(g + 1);
        most = std::max(most, w);
        least = std::min(least, w);
      }
      return most / least;
    };
    EXPECT_LT(imbalance(Layout::kZigzag), 1.001) << "P=" << ranks;
    EXPECT_GT(imbalance(Layout::kContiguous), 2.9) << "P=" << ranks;
  }
}

TEST(Sharding, BadArgumentsAreUsageErrors) {
  EXPECT_THROW(plan_shards(Layout::kZigzag, 0, 16), UsageError);
  EXPECT_THROW(plan_shards(Layout::kStriped, 2, 0), UsageError);
}

}  // namespace
}  // namespace ra::layout

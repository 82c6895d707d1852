// The ring schedule as a pure function, for every P <= 8, every layout and mask, against
// brute force over the tokens: coverage (every visible (query shard, KV block) pair is
// computed, exactly once), skipping (nothing invisible is computed), symmetry (every send
// has its receive, with the same size), early stop with a causal window, and balance.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/layout/sharding.h"
#include "runtime/ring/schedule.h"

namespace ra::ring {
namespace {

using layout::Layout;
using numerics::MaskKind;
using numerics::MaskRule;

struct Shards {
  std::vector<std::vector<std::int32_t>> pos, seg;
  std::vector<ShardSummary> summary;
};

// Default metadata (positions 0..L-1, one document, padding -1) sharded by `l`.
Shards shards_of(Layout l, int p, std::int64_t len, int segments = 1) {
  const layout::ShardPlan plan = layout::plan_shards(l, p, len);
  std::vector<std::int32_t> pos(static_cast<std::size_t>(len)), seg(static_cast<std::size_t>(len));
  for (std::int64_t i = 0; i < len; ++i) {
    pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
    seg[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i * segments / len);
  }
  Shards s;
  for (int r = 0; r < p; ++r) {
    std::vector<std::int32_t> sp(static_cast<std::size_t>(plan.shard_len)), ss(sp.size());
    layout::shard_meta(plan, r, pos.data(), seg.data(), sp.data(), ss.data());
    s.summary.push_back(summarize_shard(sp.data(), ss.data(), plan.shard_len));
    s.pos.push_back(std::move(sp));
    s.seg.push_back(std::move(ss));
  }
  return s;
}

bool brute_force_visible(const Shards& s, int qr, int kr, const MaskRule& rule) {
  const auto& pq = s.pos[static_cast<std::size_t>(qr)];
  const auto& sq = s.seg[static_cast<std::size_t>(qr)];
  const auto& pk = s.pos[static_cast<std::size_t>(kr)];
  const auto& sk = s.seg[static_cast<std::size_t>(kr)];
  for (std::size_t i = 0; i < pq.size(); ++i)
    for (std::size_t j = 0; j < pk.size(); ++j)
      if (numerics::visible(rule, pq[i], sq[i], pk[j], sk[j])) return true;
  return false;
}

std::string what(Layout l, int p, std::int64_t len, const MaskRule& rule) {
  return std::string(layout::layout_name(l)) + " P=" + std::to_string(p) + " L=" + std::to_string(len) +
         (rule.kind == MaskKind::kCausal ? " causal" : " bidirectional") + " W=" + std::to_string(rule.window);
}

std::vector<MaskRule> rules(std::int64_t shard) {
  const auto w = static_cast<std::int32_t>(shard);
  return {{MaskKind::kCausal, 0},
          {MaskKind::kBidirectional, 0},
          {MaskKind::kCausal, 1},
          {MaskKind::kCausal, w / 2 + 1},
          {MaskKind::kCausal, w},
          {MaskKind::kCausal, 3 * w},
          {MaskKind::kBidirectional, w / 2 + 1}};
}

TEST(RingSchedule, ComputesExactlyTheVisiblePairsOnce) {
  for (int p = 1; p <= 8; ++p) {
    for (Layout l : {Layout::kContiguous, Layout::kZigzag, Layout::kStriped}) {
      for (std::int64_t len : {std::int64_t{1}, std::int64_t{37}, std::int64_t{64} * p + 5}) {
        const Shards s = shards_of(l, p, len, len > 40 ? 3 : 1);
        const std::int64_t shard_len = static_cast<std::int64_t>(s.pos[0].size());
        for (const MaskRule& rule : rules(shard_len)) {
          const RingSchedule sched = make_ring_schedule(s.summary, s.summary, rule);
          ASSERT_EQ(sched.ranks(), p);
          for (int r = 0; r < p; ++r) {
            // Each block visits each rank at exactly one step: (r - s) mod P is a bijection.
            std::vector<int> seen(static_cast<std::size_t>(p), 0);
            for (int step = 0; step < p; ++step) ++seen[static_cast<std::size_t>(sched.block_at(r, step))];
            for (int b = 0; b < p; ++b) ASSERT_EQ(seen[static_cast<std::size_t>(b)], 1);
            for (int step = 0; step < p; ++step) {
              const int b = sched.block_at(r, step);
              const bool vis = brute_force_visible(s, r, b, rule);
              // Contiguous shards are summarized exactly. Zigzag and striped summary pieces
              // can straddle a gap in positions, so the schedule may keep a step that turns
              // out empty (the kernel then skips its tiles); it must never skip a visible one.
              if (l != Layout::kContiguous) {
                if (vis) {
                  EXPECT_TRUE(sched.computes(r, step)) << what(l, p, len, rule) << " rank " << r << " step " << step;
                }
              } else {
                EXPECT_EQ(sched.computes(r, step), vis) << what(l, p, len, rule) << " rank " << r << " step " << step;
              }
              if (vis) {
                EXPECT_LE(step, sched.last_step()) << what(l, p, len, rule);
              }
            }
          }
        }
      }
    }
  }
}

TEST(RingSchedule, EverySendHasItsReceive) {
  for (int p = 1; p <= 8; ++p) {
    for (Layout l : {Layout::kContiguous, Layout::kZigzag, Layout::kStriped}) {
      const Shards s = shards_of(l, p, 40 * p + 3);
      for (const MaskRule& rule : rules(static_cast<std::int64_t>(s.pos[0].size()))) {
        const RingSchedule sched = make_ring_schedule(s.summary, s.summary, rule);
        for (Pass pass : {Pass::kForward, Pass::kBackward}) {
          // (phase, step, from, to, bytes) of every send and every receive.
          std::map<std::tuple<std::string, int, int, int, std::size_t>, int> balance;
          for (int r = 0; r < p; ++r) {
            for (const PlannedExchange& x : planned_exchanges(sched, r, pass, 1000, 3000)) {
              ++balance[{x.phase, x.step, r, x.send_to, x.send_bytes}];
              --balance[{x.phase, x.step, x.recv_from, r, x.recv_bytes}];
            }
          }
          for (const auto& [key, count] : balance) {
            EXPECT_EQ(count, 0) << what(l, p, 40 * p + 3, rule) << ": unmatched " << std::get<0>(key) << " step "
                                << std::get<1>(key) << " " << std::get<2>(key) << " -> " << std::get<3>(key);
          }
        }
      }
    }
  }
}

TEST(RingSchedule, BackwardReturnsEveryDkvToItsOwner) {
  for (int p = 1; p <= 8; ++p) {
    const Shards s = shards_of(Layout::kContiguous, p, 16 * p);
    for (const MaskRule& rule : rules(16)) {
      const RingSchedule sched = make_ring_schedule(s.summary, s.summary, rule);
      for (int r = 0; r < p; ++r) {
        // After the last step rank r holds the block of rank r - last_step and sends it there.
        EXPECT_EQ(sched.dkv_owner_of_final(r), sched.block_at(r, sched.last_step()));
        EXPECT_EQ(sched.dkv_final_from(sched.dkv_owner_of_final(r)), r);
      }
    }
  }
}

TEST(RingSchedule, CausalWindowStopsTheRingEarly) {
  for (int p = 2; p <= 8; ++p) {
    const std::int64_t shard = 32;
    const Shards s = shards_of(Layout::kContiguous, p, shard * p);
    for (std::int32_t w : {1, 16, 32, 33, 64, 65}) {
      const RingSchedule sched = make_ring_schedule(s.summary, s.summary, {MaskKind::kCausal, w});
      // A query sees keys at most W - 1 positions back: ceil((W - 1) / shard) blocks back.
      const int need = static_cast<int>((w - 1 + shard - 1) / shard);
      EXPECT_EQ(sched.last_step(), std::min(need, p - 1)) << "P=" << p << " W=" << w;
      const auto traffic = planned_exchanges(sched, 0, Pass::kForward, 1, 1);
      EXPECT_EQ(static_cast<int>(traffic.size()), sched.last_step()) << "hops grow with W, not with P";
    }
  }
}

TEST(RingSchedule, ContiguousCausalSkipsUpperBlocksZigzagIsBalanced) {
  for (int p = 1; p <= 8; ++p) {
    const Shards contiguous = shards_of(Layout::kContiguous, p, 32 * p);
    const RingSchedule c = make_ring_schedule(contiguous.summary, contiguous.summary, {MaskKind::kCausal, 0});
    const Shards zigzag = shards_of(Layout::kZigzag, p, 32 * p);
    const RingSchedule z = make_ring_schedule(zigzag.summary, zigzag.summary, {MaskKind::kCausal, 0});
    EXPECT_EQ(c.last_step(), p - 1);
    for (int r = 0; r < p; ++r) {
      EXPECT_EQ(c.compute_steps(r), r + 1) << "contiguous rank " << r << " sees blocks 0..r";
      EXPECT_EQ(z.compute_steps(r), p) << "zigzag rank " << r << " sees some keys of every block";
    }
  }
}

TEST(RingSchedule, SingleRankHasNoTraffic) {
  const Shards s = shards_of(Layout::kContiguous, 1, 10);
  const RingSchedule sched = make_ring_schedule(s.summary, s.summary, {MaskKind::kCausal, 0});
  EXPECT_EQ(sched.last_step(), 0);
  EXPECT_TRUE(planned_exchanges(sched, 0, Pass::kBackward, 8, 8).empty());
}

}  // namespace
}  // namespace ra::ring

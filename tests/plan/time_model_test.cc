// The time model's pieces against independent computations: visible pairs against a
// brute-force count, the ring pipeline's sums, and the overlap threshold against the
// compute and hop times it balances.
#include "runtime/plan/time_model.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace ra::plan {
namespace {

using numerics::MaskKind;
using numerics::MaskRule;

double brute_pairs(std::int64_t q0, std::int64_t k0, std::int64_t n, const MaskRule& m) {
  double count = 0;
  for (std::int64_t i = q0; i < q0 + n; ++i) {
    for (std::int64_t j = k0; j < k0 + n; ++j) {
      const std::int64_t d = i - j;
      if (m.kind == MaskKind::kCausal && d < 0) continue;
      if (m.window > 0 && (d < 0 ? -d : d) >= m.window) continue;
      count += 1;
    }
  }
  return count;
}

TEST(TimeModel, BlockPairsMatchABruteForceCount) {
  for (MaskKind kind : {MaskKind::kCausal, MaskKind::kBidirectional}) {
    for (std::int32_t window : {0, 1, 5, 17, 40, 1000}) {
      for (std::int64_t n : {1, 7, 16}) {
        for (std::int64_t q0 : {0, 7, 33}) {
          for (std::int64_t k0 : {0, 7, 20, 50}) {
            const MaskRule m{kind, window};
            ASSERT_EQ(block_pairs(q0, k0, n, m), brute_pairs(q0, k0, n, m))
                << "q0 " << q0 << " k0 " << k0 << " n " << n << " window " << window << " causal "
                << (kind == MaskKind::kCausal);
          }
        }
      }
    }
  }
}

// What the kernels compute on a block, counted tile pair by tile pair: a tile with no
// visible pair is skipped, one with every pair visible costs its area, any other its area
// × the premium.
double brute_work(std::int64_t q0, std::int64_t k0, std::int64_t n, const MaskRule& m, std::int64_t tile,
                  double premium) {
  double work = 0;
  for (std::int64_t a = 0; a < n; a += tile) {
    for (std::int64_t b = 0; b < n; b += tile) {
      const double visible = [&] {
        double c = 0;
        for (std::int64_t i = q0 + a; i < q0 + a + tile; ++i) {
          for (std::int64_t j = k0 + b; j < k0 + b + tile; ++j) c += brute_pairs(i, j, 1, m);
        }
        return c;
      }();
      const double area = static_cast<double>(tile * tile);
      if (visible == area) work += area;
      if (visible > 0 && visible < area) work += area * premium;
    }
  }
  return work;
}

TEST(TimeModel, BlockWorkMatchesATileByTileCount) {
  for (MaskKind kind : {MaskKind::kCausal, MaskKind::kBidirectional}) {
    for (std::int32_t window : {0, 1, 5, 17, 40}) {
      for (std::int64_t tile : {2, 4, 8}) {
        for (std::int64_t q0 : {0, 8, 32}) {
          for (std::int64_t k0 : {0, 8, 20}) {
            const MaskRule m{kind, window};
            const std::int64_t n = 16;
            ASSERT_DOUBLE_EQ(block_work(q0, k0, n, m, {tile, 1.7}), brute_work(q0, k0, n, m, tile, 1.7))
                << "q0 " << q0 << " k0 " << k0 << " tile " << tile << " window " << window << " causal "
                << (kind == MaskKind::kCausal);
          }
        }
      }
      // No tiles: exactly the visible pairs.
      EXPECT_EQ(block_work(8, 0, 16, {kind, window}, {0, 5.0}), block_pairs(8, 0, 16, {kind, window}));
    }
  }
  // A causal block of 1,024 tokens in 256-token tiles: 6 full tiles and 4 cut on the
  // diagonal, against 8.0 tiles' worth of visible pairs (+ n/2).
  EXPECT_EQ(block_work(0, 0, 1024, {MaskKind::kCausal, 0}, {256, 1.0}), 10.0 * 256 * 256);
}

TEST(TimeModel, SequencePairsOfTheCommonMasks) {
  EXPECT_EQ(sequence_pairs(1000, {MaskKind::kCausal, 0}), 1000.0 * 1001 / 2);
  EXPECT_EQ(sequence_pairs(1000, {MaskKind::kBidirectional, 0}), 1e6);
  // Causal window W: query i sees min(i + 1, W) keys.
  EXPECT_EQ(sequence_pairs(1000, {MaskKind::kCausal, 100}), 100.0 * 101 / 2 + 900.0 * 100);
}

RingMachine machine() {
  RingMachine m;
  m.attention_flops_per_s = 1e12;
  m.link_bytes_per_s = 1e9;
  m.link_latency_s = 1e-5;
  return m;
}

RingProblem problem(std::int64_t n, int sp, MaskKind kind, layout::Layout l) {
  RingProblem p;
  p.tokens_per_rank = n;
  p.sp = sp;
  p.heads = 4;
  p.kv_heads = 4;
  p.head_dim = 64;
  p.storage = DType::kBF16;
  p.mask = {kind, 0};
  p.layout = l;
  return p;
}

TEST(TimeModel, ABidirectionalPassIsThePipelineSum) {
  const RingMachine m = machine();
  const RingProblem p = problem(4096, 4, MaskKind::kBidirectional, layout::Layout::kContiguous);
  const RingTime t = ring_time(p, m);
  ASSERT_EQ(t.steps, 4);
  const double c = 4.0 * 4096.0 * 4096.0 * 64 * 4 / m.attention_flops_per_s;
  const double x = (2.0 * 4096 * 4 * 64 * 2 + 8.0 * 4096) / m.link_bytes_per_s + m.link_latency_s;
  EXPECT_DOUBLE_EQ(t.fwd_hop_s, x);
  EXPECT_NEAR(t.fwd_s, 3 * std::max(c, x) + c, 1e-12);
  EXPECT_NEAR(t.fwd_exposed_s, 3 * std::max(0.0, x - c), 1e-12);
  EXPECT_NEAR(t.bwd_flops, 2.5 * t.fwd_flops, 1e-3 * t.fwd_flops);
}

TEST(TimeModel, OverlapIsFullAboveTheThresholdAndNotBelow) {
  const RingMachine m = machine();
  const RingProblem base = problem(0, 4, MaskKind::kCausal, layout::Layout::kZigzag);
  RingProblem p = base;
  p.tokens_per_rank = 1024;
  const std::int64_t threshold = ring_time(p, m).min_tokens_for_overlap;
  ASSERT_GT(threshold, 8);
  p.tokens_per_rank = threshold * 2;
  const RingTime above = ring_time(p, m);
  EXPECT_EQ(above.fwd_exposed_s, 0.0);
  // Only the backward's last hop (dK/dV home) is exposed: nothing is left to hide it.
  const double dkv_bytes = 2.0 * static_cast<double>(p.tokens_per_rank * p.kv_heads * p.head_dim) * 4;
  EXPECT_NEAR(above.bwd_return_hop_s, dkv_bytes / m.link_bytes_per_s + m.link_latency_s, 1e-12);
  EXPECT_EQ(above.bwd_exposed_s, above.bwd_return_hop_s);
  p.tokens_per_rank = threshold / 2;
  const RingTime below = ring_time(p, m);
  EXPECT_GT(below.fwd_exposed_s + below.bwd_exposed_s - below.bwd_return_hop_s, 0.0);
  // At the threshold the binding pass's step compute equals its hop.
  p.tokens_per_rank = threshold;
  const RingTime at = ring_time(p, m);
  const double c_fwd = at.fwd_flops / at.steps / m.attention_flops_per_s;
  const double c_bwd = at.bwd_flops / at.steps / m.attention_flops_per_s;
  EXPECT_GE(c_fwd, at.fwd_hop_s * 0.99);
  EXPECT_GE(c_bwd, at.bwd_hop_s * 0.99);
  EXPECT_TRUE(c_fwd < at.fwd_hop_s * 1.01 || c_bwd < at.bwd_hop_s * 1.01);
}

TEST(TimeModel, CausalContiguousIsPacedByTheLastRankAndZigzagHalvesIt) {
  const RingMachine m = machine();
  const RingTime contiguous = ring_time(problem(8192, 4, MaskKind::kCausal, layout::Layout::kContiguous), m);
  const RingTime zigzag = ring_time(problem(8192, 4, MaskKind::kCausal, layout::Layout::kZigzag), m);
  // Last contiguous rank: ½ + 3 full blocks = 3.5 blocks; zigzag: 4 × ½ ≈ 2 (+ the diagonal's n/2).
  EXPECT_NEAR(contiguous.fwd_flops / zigzag.fwd_flops, 3.5 / 2.0, 0.01);
}

TEST(TimeModel, AWindowStopsTheRingEarly) {
  RingProblem p = problem(1024, 8, MaskKind::kCausal, layout::Layout::kContiguous);
  p.mask.window = 1500;  // reaches one shard back, and a bit of a second
  EXPECT_EQ(ring_time(p, machine()).steps, 3);
}

TEST(TimeModel, ABatchMultipliesWorkAndBytes) {
  const RingMachine m = machine();
  RingProblem p = problem(2048, 2, MaskKind::kCausal, layout::Layout::kZigzag);
  const RingTime one = ring_time(p, m);
  p.sequences = 4;
  const RingTime four = ring_time(p, m);
  EXPECT_NEAR(four.fwd_flops, 4 * one.fwd_flops, 1e-6 * four.fwd_flops);
  EXPECT_NEAR(four.fwd_hop_s - m.link_latency_s, 4 * (one.fwd_hop_s - m.link_latency_s), 1e-12);
  EXPECT_EQ(four.min_tokens_for_overlap, one.min_tokens_for_overlap);
}

// The ring's compute follows the tiles, its FLOPs the visible pairs.
TEST(TimeModel, TilesChangeTheComputeButNotTheFlops) {
  RingMachine m = machine();
  const RingProblem p = problem(1024, 2, MaskKind::kCausal, layout::Layout::kZigzag);
  const RingTime pairs = ring_time(p, m);
  m.fwd_tiles = {256, 1.5};
  m.bwd_tiles = {128, 1.0};
  const RingTime tiles = ring_time(p, m);
  EXPECT_EQ(tiles.fwd_flops, pairs.fwd_flops);
  // The whole 2,048-token sequence: 28 full tiles and 8 cut (× 1.5) of 256², over 4 rank-steps.
  const double fwd_work = (28 + 8 * 1.5) * 256.0 * 256.0;
  EXPECT_NEAR(tiles.fwd_compute_s, fwd_work * 4 * 64 * 4 / m.attention_flops_per_s / 2, 1e-12);
  // 128-token tiles, premium 1: 120 + 16 tiles of 128².
  EXPECT_NEAR(tiles.bwd_compute_s, 2.5 * 136 * 128.0 * 128.0 * 4 * 64 * 4 / m.attention_flops_per_s / 2, 1e-12);
}

// The runtime's overheads: per pass, per hop, and a hopping ring's compute slowdown —
// counted as overhead, not compute; a one-rank ring has neither hops nor slowdown.
TEST(TimeModel, OverheadsArePerPassPerHopAndASlowdownOfAHoppingRing) {
  RingMachine m = machine();
  const RingProblem p = problem(2048, 4, MaskKind::kBidirectional, layout::Layout::kContiguous);
  const RingTime bare = ring_time(p, m);
  m.fwd_overhead = {1e-3, 2e-3, 0.1};
  m.bwd_overhead = {3e-3, 4e-3, 0.2};
  const RingTime t = ring_time(p, m);
  EXPECT_EQ(t.fwd_compute_s, bare.fwd_compute_s);
  EXPECT_NEAR(t.fwd_overhead_s, 1e-3 + 3 * 2e-3 + 0.1 * bare.fwd_compute_s, 1e-12);
  EXPECT_NEAR(t.bwd_overhead_s, 3e-3 + 3 * 4e-3 + 0.2 * bare.bwd_compute_s, 1e-12);
  for (const RingTime* r : {&bare, &t}) {  // the parts add up to the passes
    EXPECT_NEAR(r->fwd_s, r->fwd_compute_s + r->fwd_exposed_s + r->fwd_memory_s + r->fwd_overhead_s, 1e-12);
    EXPECT_NEAR(r->bwd_s, r->bwd_compute_s + r->bwd_exposed_s + r->bwd_memory_s + r->bwd_overhead_s, 1e-12);
  }
  const RingTime one = ring_time(problem(2048, 1, MaskKind::kBidirectional, layout::Layout::kContiguous), m);
  EXPECT_NEAR(one.fwd_overhead_s, 1e-3, 1e-15);
  EXPECT_NEAR(one.bwd_overhead_s, 3e-3, 1e-15);
}

// A pair-head costs 4·D/F + τ forward (2.5 × the FLOPs backward), and a tile the mask
// cuts μ more: a small head dimension reaches a lower FLOP rate, and its cut tiles weigh
// more against its full ones.
TEST(TimeModel, PairCostsBesidesTheFlopsWeighMoreAtASmallHeadDimension) {
  RingMachine m = machine();
  m.attention_flops_per_s = 1e11;
  m.attention_pair_head_s_fwd = 0.5e-9;
  m.attention_pair_head_s_bwd = 0.8e-9;
  m.partial_pair_head_s_fwd = 1e-9;
  m.partial_pair_head_s_bwd = 2e-9;
  m.fwd_tiles = {64, 5.0};  // the ratio is replaced by 1 + μ / t
  m.bwd_tiles = {64, 5.0};
  for (std::int64_t d : {16, 64}) {
    RingProblem p = problem(256, 1, MaskKind::kBidirectional, layout::Layout::kContiguous);
    p.head_dim = d;
    p.heads = 2;
    const double dd = static_cast<double>(d), pair_heads = 256.0 * 256.0 * 2;
    const double t_fwd = 4 * dd / 1e11 + 0.5e-9, t_bwd = 2.5 * 4 * dd / 1e11 + 0.8e-9;
    const RingTime bidir = ring_time(p, m);
    EXPECT_NEAR(bidir.fwd_compute_s, pair_heads * t_fwd, 1e-12) << "D = " << d;
    EXPECT_NEAR(bidir.bwd_compute_s, pair_heads * t_bwd, 1e-12) << "D = " << d;
    EXPECT_EQ(bidir.fwd_flops, pair_heads * 4 * dd) << "FLOPs count the products only";
    // Causal in 64-token tiles: 6 full tiles below the diagonal and 4 cut on it.
    p.mask = {MaskKind::kCausal, 0};
    const RingTime causal = ring_time(p, m);
    const double tile = 64.0 * 64.0 * 2;
    EXPECT_NEAR(causal.fwd_compute_s, 6 * tile * t_fwd + 4 * tile * (t_fwd + 1e-9), 1e-12) << "D = " << d;
    EXPECT_NEAR(causal.bwd_compute_s, 6 * tile * t_bwd + 4 * tile * (t_bwd + 2e-9), 1e-12) << "D = " << d;
  }
}

}  // namespace
}  // namespace ra::plan

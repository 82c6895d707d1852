// The shared numerics header: the mask rule, tile classification against brute force,
// and the vectorized exp of the CPU kernels against libm.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/cpu/vec_math.h"
#include "kernels/numerics.h"

namespace ra::numerics {
namespace {

TEST(Visible, MaskRule) {
  const MaskRule causal{MaskKind::kCausal, 0}, bidir{MaskKind::kBidirectional, 0};
  const MaskRule causal_w3{MaskKind::kCausal, 3}, bidir_w3{MaskKind::kBidirectional, 3};
  EXPECT_TRUE(visible(causal, 5, 0, 5, 0));
  EXPECT_TRUE(visible(causal, 5, 0, 0, 0));
  EXPECT_FALSE(visible(causal, 5, 0, 6, 0));
  EXPECT_TRUE(visible(bidir, 5, 0, 6, 0));
  EXPECT_FALSE(visible(bidir, 5, 0, 5, 1));    // other document
  EXPECT_FALSE(visible(bidir, 5, -1, 5, -1));  // padding sees nothing, even padding
  EXPECT_TRUE(visible(causal_w3, 5, 0, 3, 0));
  EXPECT_FALSE(visible(causal_w3, 5, 0, 2, 0));
  EXPECT_TRUE(visible(bidir_w3, 5, 0, 7, 0));
  EXPECT_FALSE(visible(bidir_w3, 5, 0, 8, 0));
  // Extreme positions: the difference does not overflow int32.
  EXPECT_FALSE(visible(causal_w3, INT32_MAX, 0, INT32_MIN, 0));
  EXPECT_FALSE(visible(causal, INT32_MIN, 0, INT32_MAX, 0));
  EXPECT_EQ(alibi_bias(0.5f, 10, 4), -3.0f);
  EXPECT_EQ(alibi_bias(0.5f, 4, 10), -3.0f);
}

// For random tiles and rules: empty means no visible pair, full means every pair visible.
TEST(ClassifyTile, AgreesWithBruteForce) {
  std::mt19937 rng(3);
  int counts[3] = {0, 0, 0};
  for (int trial = 0; trial < 20000; ++trial) {
    const int nq = 1 + static_cast<int>(rng() % 6), nk = 1 + static_cast<int>(rng() % 6);
    std::vector<int32_t> pq(static_cast<std::size_t>(nq)), sq(pq.size()), pk(static_cast<std::size_t>(nk)),
        sk(pk.size());
    const int spread = 1 + static_cast<int>(rng() % 20);
    const int q0 = static_cast<int>(rng() % 30), k0 = static_cast<int>(rng() % 30);
    const int segs = 1 + static_cast<int>(rng() % 3);
    const bool pad = rng() % 4 == 0;
    for (int i = 0; i < nq; ++i) {
      pq[static_cast<std::size_t>(i)] = q0 + static_cast<int>(rng() % static_cast<unsigned>(spread));
      sq[static_cast<std::size_t>(i)] =
          (pad && rng() % 3 == 0) ? -1 : static_cast<int>(rng() % static_cast<unsigned>(segs));
    }
    for (int j = 0; j < nk; ++j) {
      pk[static_cast<std::size_t>(j)] = k0 + static_cast<int>(rng() % static_cast<unsigned>(spread));
      sk[static_cast<std::size_t>(j)] =
          (pad && rng() % 3 == 0) ? -1 : static_cast<int>(rng() % static_cast<unsigned>(segs));
    }
    const MaskRule rule{rng() % 2 ? MaskKind::kCausal : MaskKind::kBidirectional,
                        static_cast<int32_t>(rng() % 3 ? 0 : rng() % 12)};
    int vis = 0;
    for (int i = 0; i < nq; ++i)
      for (int j = 0; j < nk; ++j)
        vis += visible(rule, pq[static_cast<std::size_t>(i)], sq[static_cast<std::size_t>(i)],
                       pk[static_cast<std::size_t>(j)], sk[static_cast<std::size_t>(j)]);
    const TileClass cls =
        classify_tile(rule, summarize_tile(pq.data(), sq.data(), nq), summarize_tile(pk.data(), sk.data(), nk));
    ++counts[static_cast<int>(cls)];
    if (cls == TileClass::kEmpty) {
      ASSERT_EQ(vis, 0) << "trial " << trial;
    }
    if (cls == TileClass::kFull) {
      ASSERT_EQ(vis, nq * nk) << "trial " << trial;
    }
  }
  // The classifier is not trivially "partial": all three classes occur.
  EXPECT_GT(counts[0], 1000);
  EXPECT_GT(counts[1], 1000);
  EXPECT_GT(counts[2], 1000);
}

TEST(ClassifyTile, CausalDiagonalBlocks) {
  std::vector<int32_t> pos(64), seg(64, 0);
  for (int i = 0; i < 64; ++i) pos[static_cast<std::size_t>(i)] = i;
  const MaskRule causal{MaskKind::kCausal, 0};
  const auto t0 = summarize_tile(pos.data(), seg.data(), 32), t1 = summarize_tile(pos.data() + 32, seg.data(), 32);
  EXPECT_EQ(classify_tile(causal, t0, t1), TileClass::kEmpty);
  EXPECT_EQ(classify_tile(causal, t1, t0), TileClass::kFull);
  EXPECT_EQ(classify_tile(causal, t0, t0), TileClass::kPartial);
}

TEST(ExpPs, MatchesLibmWithinTwoUlpAndHandlesInfinity) {
  EXPECT_EQ(kernels::cpu::exp_ps(-INFINITY), 0.0f);
  EXPECT_EQ(kernels::cpu::exp_ps(-1000.0f), 0.0f);
  EXPECT_EQ(kernels::cpu::exp_ps(0.0f), 1.0f);
  double worst_ulps = 0;
  float worst_x = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.000731f) {
    const double ref = std::exp(static_cast<double>(x));
    const double ulp = std::nextafter(static_cast<float>(ref), INFINITY) - static_cast<float>(ref);
    const double ulps = std::fabs(kernels::cpu::exp_ps(x) - ref) / ulp;
    if (ulps > worst_ulps) worst_ulps = ulps, worst_x = x;
  }
  EXPECT_LE(worst_ulps, 2.0) << "at x = " << worst_x;
}

}  // namespace
}  // namespace ra::numerics

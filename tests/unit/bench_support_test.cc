// Pieces behind `ringattn bench`: the FLOP count's visible-pair formula against brute
// force, the synthetic shard generator (any rank rebuilds any shard bit for bit; padding
// is zero and masked), and the per-step figures read from a timeline.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/numerics.h"
#include "runtime/bench/ring_bench.h"
#include "runtime/bench/synthetic_shard.h"
#include "runtime/trace/step_stats.h"

namespace ra {
namespace {

using numerics::MaskKind;

TEST(VisiblePairs, MatchesBruteForce) {
  for (std::int64_t len : {1, 2, 7, 64, 113}) {
    for (MaskKind kind : {MaskKind::kCausal, MaskKind::kBidirectional}) {
      for (std::int32_t w : {0, 1, 5, 64, 200}) {
        const numerics::MaskRule rule{kind, w};
        double brute = 0;
        for (std::int32_t i = 0; i < len; ++i)
          for (std::int32_t j = 0; j < len; ++j) brute += numerics::visible(rule, i, 0, j, 0) ? 1 : 0;
        EXPECT_EQ(bench::visible_pairs(len, rule), brute) << "L=" << len << " W=" << w;
      }
    }
  }
}

TEST(SyntheticShard, AnyRankRebuildsAnyShardAndPaddingIsZero) {
  const layout::ShardPlan plan = layout::plan_shards(layout::Layout::kZigzag, 3, 100);  // padded to 102
  const std::int64_t row = 6;
  std::vector<float> a(static_cast<std::size_t>(plan.shard_len * row)), b(a.size());
  for (int r = 0; r < 3; ++r) {
    bench::fill_synthetic_rows(plan, r, 7, 2, row, DType::kF32, a.data());
    bench::fill_synthetic_rows(plan, r, 7, 2, row, DType::kF32, b.data());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    std::vector<std::int32_t> pos(static_cast<std::size_t>(plan.shard_len)), seg(pos.size());
    bench::fill_synthetic_meta(plan, r, pos.data(), seg.data());
    for (std::int64_t t = 0; t < plan.shard_len; ++t) {
      const std::int64_t g = layout::global_index(plan, r, t);
      EXPECT_EQ(pos[static_cast<std::size_t>(t)], g);
      EXPECT_EQ(seg[static_cast<std::size_t>(t)], g < 100 ? 0 : -1);
      for (std::int64_t e = 0; e < row; ++e) {
        const float v = a[static_cast<std::size_t>(t * row + e)];
        if (g >= 100) {
          EXPECT_EQ(v, 0.0f) << "padding row";
        } else {
          EXPECT_GE(v, -1.0f);
          EXPECT_LT(v, 1.0f);
        }
      }
    }
  }
  std::vector<float> other(a.size());
  bench::fill_synthetic_rows(plan, 0, 7, 3, row, DType::kF32, other.data());
  bench::fill_synthetic_rows(plan, 0, 7, 2, row, DType::kF32, a.data());
  EXPECT_NE(std::memcmp(a.data(), other.data(), a.size() * sizeof(float)), 0) << "tensors differ";
}

TEST(StepStats, AttributesComputeCommAndWaitsToSteps) {
  auto span = [](const char* track, const char* name, double b, double d,
                 device::SpanKind kind = device::SpanKind::kWork) {
    return trace::TraceSpan{track, name, b, d, kind};
  };
  constexpr auto kWait = device::SpanKind::kWait;
  const std::vector<trace::TraceSpan> spans = {
      span("compute", "fwd init", 0, 1),
      span("comm", "fwd kv hop 1", 1, 30),
      span("compute", "fwd step 0", 1, 100),
      span("compute", "wait", 101, 5, kWait),
      span("compute", "fwd step 1 skipped", 106, 0),
      span("compute", "fwd finalize", 106, 2),
      span("compute", "bwd step 0", 200, 200),
      span("comm", "bwd kv hop 1", 200, 40),
      span("comm", "bwd dkv hop 1", 400, 50),
      span("compute", "wait", 400, 20, kWait),
      span("compute", "bwd step 1", 420, 190),
      span("comm", "bwd dkv return hop 2", 610, 60),
      span("compute", "wait", 610, 60, kWait),
      span("comm", "wait", 0, 1000, kWait),
  };
  const auto st = trace::step_stats(spans, "compute", "comm");
  ASSERT_EQ(st.size(), 4u);
  auto near = [](double a, double b) { return std::abs(a - b) < 1e-12; };
  EXPECT_EQ(st[0].pass, "fwd");
  EXPECT_TRUE(st[0].computed);
  EXPECT_TRUE(near(st[0].compute_seconds, 100e-6));
  EXPECT_TRUE(near(st[0].comm_seconds, 30e-6));
  EXPECT_TRUE(near(st[0].wait_seconds, 5e-6));
  EXPECT_EQ(st[1].step, 1);
  EXPECT_FALSE(st[1].computed);
  EXPECT_EQ(st[2].pass, "bwd");
  EXPECT_TRUE(near(st[2].comm_seconds, 90e-6));
  EXPECT_TRUE(near(st[2].wait_seconds, 20e-6));
  EXPECT_TRUE(near(st[3].compute_seconds, 190e-6));
  EXPECT_TRUE(near(st[3].comm_seconds, 60e-6)) << "the return hop belongs to the last step";
  EXPECT_TRUE(near(st[3].wait_seconds, 60e-6));
}

}  // namespace
}  // namespace ra

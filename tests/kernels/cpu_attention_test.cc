// The CPU attention block operation against the f64 naive reference, under the numerics
// policy (tests/support/tolerance.h), across ragged shapes, every mask kind, GQA/MQA,
// bf16 storage, key blocks in any split and order, and thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <algorithm>
#include <numeric>
#include <random>

#include "kernels/cpu/cpu_attention.h"
#include "tests/support/policy.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"
#include "tests/support/run_block_op.h"
#include "tests/support/tolerance.h"

namespace ra::testing {
namespace {

using kernels::cpu::CpuAttention;
using kernels::cpu::CpuAttentionOptions;

// Small tiles make short sequences cross many tile boundaries (full, partial and
// empty tiles all occur); the default tiles are what users run.
CpuAttentionOptions small_tiles(int threads = 1) {
  CpuAttentionOptions o;
  o.threads = threads;
  o.forward = {16, 32};
  o.backward = {16, 16};
  return o;
}

CpuAttentionOptions default_tiles(int threads = 1) {
  CpuAttentionOptions o;
  o.threads = threads;
  return o;
}

// The policy a CPU run is held to: the fp32 policy, plus the bound of P and dS rounded to
// bf16 (docs/numerics.md, "Error of 16-bit P and dS") where the kernels round them:
// ProductPrecision::kFast (the default) with bf16 storage.
::testing::AssertionResult meets_cpu_policy(const AttnCase& c, const CpuAttentionOptions& opts,
                                            const AttnResult<float>& impl, const AttnResult<double>& ref,
                                            const AttnResult<float>& naive) {
  if (opts.precision == kernels::cpu::ProductPrecision::kFast && c.storage == DType::kBF16)
    return meets_policy_rounded_products(c, impl, ref, naive, unit_roundoff(DType::kBF16));
  return meets_policy(c, impl, ref, naive);
}

void expect_policy(const AttnCase& c, const CpuAttentionOptions& opts, const BlockPlan& plan = {}) {
  CpuAttention op(opts);
  const AttnResult<float> impl = run_block_op(op, c, plan);
  EXPECT_TRUE(meets_cpu_policy(c, opts, impl, naive_attention<double>(c), naive_attention<float>(c)));
  if (c.storage == DType::kBF16) {  // the other precision too, to its own policy
    CpuAttentionOptions other = opts;
    other.precision = opts.precision == kernels::cpu::ProductPrecision::kFast ? kernels::cpu::ProductPrecision::kExact
                                                                              : kernels::cpu::ProductPrecision::kFast;
    CpuAttention op2(other);
    EXPECT_TRUE(
        meets_cpu_policy(c, other, run_block_op(op2, c, plan), naive_attention<double>(c), naive_attention<float>(c)))
        << "precision " << static_cast<int>(other.precision);
  }
}

// ---- ragged shapes -------------------------------------------------------------

std::vector<CaseSpec> ragged_specs() {
  const std::int64_t lens[] = {1, 7, 63, 113, 1000};
  const std::int64_t dims[] = {16, 40, 64, 128};
  const std::int64_t kv_heads[] = {8, 2, 1};
  std::vector<CaseSpec> out;
  int n = 0;
  for (std::int64_t lq : lens) {
    for (std::int64_t lk : lens) {
      CaseSpec s;
      s.lq = lq;
      s.lk = lk;
      s.hq = 8;
      s.hkv = kv_heads[n % 3];
      // Keep the f64 reference cheap on the longest pairs.
      s.d = (lq == 1000 && lk == 1000) ? 16 : dims[n % 4];
      s.causal = n % 2 == 0;
      // Causal rows of a shorter query block sit at the end of the keys, as in a ring step.
      s.q_pos_offset = s.causal ? std::max<std::int64_t>(0, lk - lq) : 0;
      s.seed = static_cast<std::uint64_t>(100 + n);
      out.push_back(s);
      ++n;
    }
  }
  return out;
}

class Ragged : public ::testing::TestWithParam<CaseSpec> {};

TEST_P(Ragged, SmallTilesMeetPolicy) { expect_policy(make_case(GetParam()), small_tiles()); }
TEST_P(Ragged, DefaultTilesMeetPolicy) { expect_policy(make_case(GetParam()), default_tiles(2)); }

INSTANTIATE_TEST_SUITE_P(Shapes, Ragged, ::testing::ValuesIn(ragged_specs()),
                         [](const ::testing::TestParamInfo<CaseSpec>& i) { return case_name(i.param); });

// ---- mask kinds ----------------------------------------------------------------

std::vector<CaseSpec> mask_specs() {
  std::vector<CaseSpec> out;
  auto add = [&](auto&& edit) {
    CaseSpec s;
    s.lq = 113;
    s.lk = 113;
    s.hq = 4;
    s.hkv = 2;
    s.d = 40;
    s.seed = 7 + out.size();
    edit(s);
    out.push_back(s);
  };
  add([](CaseSpec& s) { s.causal = false; });
  add([](CaseSpec& s) { s.causal = true; });
  add([](CaseSpec& s) { s.causal = true, s.window = 17; });
  add([](CaseSpec& s) { s.causal = false, s.window = 9; });
  add([](CaseSpec& s) { s.causal = true, s.window = 1; });
  add([](CaseSpec& s) { s.causal = true, s.alibi = true; });
  add([](CaseSpec& s) { s.causal = false, s.alibi = true, s.window = 33; });
  add([](CaseSpec& s) { s.causal = true, s.segments = 4; });
  add([](CaseSpec& s) { s.causal = false, s.segments = 3, s.padding = 9; });
  add([](CaseSpec& s) { s.causal = true, s.segments = 5, s.padding = 21, s.window = 12, s.alibi = true; });
  add([](CaseSpec& s) { s.causal = true, s.hkv = 1, s.alibi = true; });
  add([](CaseSpec& s) { s.causal = true, s.storage = DType::kBF16; });
  add([](CaseSpec& s) { s.causal = false, s.segments = 3, s.padding = 5, s.storage = DType::kBF16; });
  add([](CaseSpec& s) { s.lq = 1000, s.lk = 1000, s.d = 64, s.hkv = 4, s.causal = true, s.storage = DType::kBF16; });
  add([](CaseSpec& s) { s.causal = true, s.window = 30, s.storage = DType::kF16; });
  add([](CaseSpec& s) { s.causal = false, s.segments = 2, s.padding = 4, s.alibi = true, s.storage = DType::kF16; });
  return out;
}

class Masks : public ::testing::TestWithParam<CaseSpec> {};

TEST_P(Masks, SmallTilesMeetPolicy) { expect_policy(make_case(GetParam()), small_tiles()); }
TEST_P(Masks, DefaultTilesMeetPolicy) { expect_policy(make_case(GetParam()), default_tiles()); }
TEST_P(Masks, KeysInBlocksAnyOrderMeetPolicy) {
  const AttnCase c = make_case(GetParam());
  std::mt19937 rng(static_cast<unsigned>(c.lk));
  BlockPlan plan;
  plan.block_starts = {0, 1, 20, 21, 64, 100};
  plan.order = {3, 0, 5, 2, 4, 1};
  if (c.lk > 113) plan.block_starts = {0, 333, 334, 700, 999};
  if (c.lk > 113) plan.order = {4, 2, 0, 3, 1};
  expect_policy(c, small_tiles(2), plan);
}

INSTANTIATE_TEST_SUITE_P(Kinds, Masks, ::testing::ValuesIn(mask_specs()),
                         [](const ::testing::TestParamInfo<CaseSpec>& i) { return case_name(i.param); });

// ---- fully masked rows and blocks ---------------------------------------------

// Queries from a document the keys do not contain, padding queries, and a key block that
// is all padding: O = 0 and LSE = -inf exactly on those rows, zero gradients, no NaN.
TEST(FullyMasked, RowsAndBlocksGiveZerosAndNegInfNeverNaN) {
  AttnCase c = make_case({.lq = 40, .lk = 48, .hq = 4, .hkv = 2, .d = 16, .causal = true, .segments = 2});
  for (std::int64_t i = 0; i < 10; ++i) c.seg_q[static_cast<std::size_t>(i)] = 7;    // document absent from the keys
  for (std::int64_t i = 10; i < 14; ++i) c.seg_q[static_cast<std::size_t>(i)] = -1;  // padding queries
  for (std::int64_t j = 32; j < 48; ++j) c.seg_k[static_cast<std::size_t>(j)] = -1;  // an all-padding key block
  for (const CpuAttentionOptions& opts : {small_tiles(), default_tiles(3)}) {
    CpuAttention op(opts);
    BlockPlan plan{{0, 32}, {1, 0}};
    const AttnResult<float> r = run_block_op(op, c, plan);
    EXPECT_TRUE(meets_policy(c, r, naive_attention<double>(c), naive_attention<float>(c)));
    for (std::int64_t h = 0; h < c.hq; ++h) {
      for (std::int64_t i = 0; i < 14; ++i) {
        EXPECT_EQ(r.lse[static_cast<std::size_t>(h * c.lq + i)], -INFINITY) << "row " << i << " head " << h;
        for (std::int64_t e = 0; e < c.d; ++e) {
          const std::size_t at = static_cast<std::size_t>((i * c.hq + h) * c.d + e);
          EXPECT_EQ(r.o[at], 0.0f) << "O at row " << i;
          EXPECT_EQ(r.dq[at], 0.0f) << "dQ at row " << i;
        }
      }
    }
    for (std::size_t j = static_cast<std::size_t>(32 * c.hkv * c.d); j < r.dk.size(); ++j) {
      EXPECT_EQ(r.dk[j], 0.0f) << "dK of a padding key";
      EXPECT_EQ(r.dv[j], 0.0f) << "dV of a padding key";
    }
    for (const auto* t : {&r.o, &r.dq, &r.dk, &r.dv, &r.lse})
      for (float x : *t) ASSERT_FALSE(std::isnan(x));
  }
}

// ---- block splitting -----------------------------------------------------------

// Accumulating over the keys in any number of blocks, in any order, meets the policy
// against one-shot attention's reference and stays within a few ulps of one-shot.
TEST(BlockSplit, AnySplitAnyOrderEqualsOneShot) {
  const AttnCase c =
      make_case({.lq = 63, .lk = 113, .hq = 4, .hkv = 1, .d = 16, .causal = true, .alibi = true, .q_pos_offset = 50});
  const AttnResult<double> ref = naive_attention<double>(c);
  const AttnResult<float> naive = naive_attention<float>(c);
  std::mt19937 rng(42);
  for (int trial = 0; trial < 12; ++trial) {
    const int n_blocks = 1 + trial % 7;
    std::vector<std::int64_t> cuts;
    std::uniform_int_distribution<std::int64_t> pick(1, c.lk - 1);
    while (static_cast<int>(cuts.size()) < n_blocks - 1) {
      const std::int64_t x = pick(rng);
      if (std::find(cuts.begin(), cuts.end(), x) == cuts.end()) cuts.push_back(x);
    }
    std::sort(cuts.begin(), cuts.end());
    BlockPlan plan;
    plan.block_starts.push_back(0);
    plan.block_starts.insert(plan.block_starts.end(), cuts.begin(), cuts.end());
    plan.order.resize(plan.block_starts.size());
    std::iota(plan.order.begin(), plan.order.end(), 0);
    std::shuffle(plan.order.begin(), plan.order.end(), rng);
    CpuAttention op(small_tiles(1 + trial % 3));
    EXPECT_TRUE(meets_policy(c, run_block_op(op, c, plan), ref, naive)) << "trial " << trial << " blocks " << n_blocks;
  }
}

// ---- the products' precision with bf16 storage ------------------------------------

// The switch does what it says (as SimtAttentionPrecision for the CUDA kernels): kExact
// meets the fp32 policy; kFast meets its stated bound, fails the fp32 policy and leaves a
// dV error well above kExact's; fp32 storage is not affected by it (bitwise). kFast is
// bitwise independent of the thread count.
TEST(CpuPrecision, FastRoundsPAndDsExactDoesNotAndFp32StorageIgnoresIt) {
  const AttnCase c =
      make_case({.lq = 96, .lk = 96, .hq = 2, .hkv = 2, .d = 64, .causal = true, .storage = DType::kBF16});
  const AttnResult<double> ref = naive_attention<double>(c);
  const AttnResult<float> naive = naive_attention<float>(c);
  CpuAttentionOptions fast_opts = small_tiles(), exact_opts = small_tiles();
  fast_opts.precision = kernels::cpu::ProductPrecision::kFast;
  exact_opts.precision = kernels::cpu::ProductPrecision::kExact;
  EXPECT_EQ(CpuAttentionOptions{}.precision, kernels::cpu::ProductPrecision::kFast) << "the default";
  CpuAttention fast_op(fast_opts), exact_op(exact_opts);
  const AttnResult<float> fast = run_block_op(fast_op, c), exact = run_block_op(exact_op, c);
  const double u = unit_roundoff(DType::kBF16);
  EXPECT_TRUE(meets_policy(c, exact, ref, naive)) << "kExact keeps the fp32 policy";
  EXPECT_TRUE(meets_policy_rounded_products(c, fast, ref, naive, u)) << "kFast within its stated bound";
  EXPECT_FALSE(meets_policy(c, fast, ref, naive)) << "kFast is not fp32-exact: the switch did nothing";
  // The measured errors, printed for docs/numerics.md ("The CPU kernels' products").
  const auto max_err = [](const std::vector<float>& got, const std::vector<double>& want) {
    double e = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (std::isfinite(want[i])) e = std::max(e, std::abs(got[i] - want[i]));
    return e;
  };
  const double fast_dv = max_err(fast.dv, ref.dv), exact_dv = max_err(exact.dv, ref.dv);
  std::cout << "bf16, causal 96 tokens, 2 heads, D 64, max |error| vs f64 (kFast / kExact / u·max mag16):\n"
            << "  O  " << max_err(fast.o, ref.o) << " / " << max_err(exact.o, ref.o) << " / "
            << rounded_product_floor(u, ref.o_mag16) << "\n"
            << "  dQ " << max_err(fast.dq, ref.dq) << " / " << max_err(exact.dq, ref.dq) << " / "
            << rounded_product_floor(u, ref.dq_mag16) << "\n"
            << "  dK " << max_err(fast.dk, ref.dk) << " / " << max_err(exact.dk, ref.dk) << " / "
            << rounded_product_floor(u, ref.dk_mag16) << "\n"
            << "  dV " << fast_dv << " / " << exact_dv << " / " << rounded_product_floor(u, ref.dv_mag16) << "\n";
  EXPECT_GT(fast_dv, 16 * exact_dv);

  fast_opts.threads = 3;
  CpuAttention fast3(fast_opts);
  const AttnResult<float> fast_3 = run_block_op(fast3, c);
  EXPECT_EQ(fast.o, fast_3.o);
  EXPECT_EQ(fast.dq, fast_3.dq);
  EXPECT_EQ(fast.dk, fast_3.dk);
  EXPECT_EQ(fast.dv, fast_3.dv);

  AttnCase c32 = c;
  c32.storage = DType::kF32;
  CpuAttention fast32(small_tiles()), exact32(exact_opts);
  const AttnResult<float> a = run_block_op(fast32, c32), b = run_block_op(exact32, c32);
  EXPECT_EQ(a.o, b.o);
  EXPECT_EQ(a.dq, b.dq);
  EXPECT_EQ(a.dv, b.dv);
}

// ---- determinism ---------------------------------------------------------------

TEST(Determinism, BitwiseAcrossRunsAndThreadCounts) {
  const AttnCase c = make_case({.lq = 300, .lk = 300, .hq = 4, .hkv = 2, .d = 64, .causal = true, .segments = 2});
  auto run = [&](int threads) {
    CpuAttentionOptions o = default_tiles(threads);
    o.forward = {32, 64};
    o.backward = {32, 32};
    CpuAttention op(o);
    return run_block_op(op, c, BlockPlan{{0, 150}, {1, 0}});
  };
  const AttnResult<float> base = run(1);
  for (int threads : {1, 2, 3, 4, 7}) {
    const AttnResult<float> r = run(threads);
    EXPECT_EQ(r.o, base.o) << threads << " threads";
    EXPECT_EQ(r.lse, base.lse) << threads << " threads";
    EXPECT_EQ(r.dq, base.dq) << threads << " threads";
    EXPECT_EQ(r.dk, base.dk) << threads << " threads";
    EXPECT_EQ(r.dv, base.dv) << threads << " threads";
  }
}

}  // namespace
}  // namespace ra::testing

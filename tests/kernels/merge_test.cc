// The stable merge of two finalized partials (docs/design.md §2).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/cpu/cpu_attention.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"
#include "tests/support/run_block_op.h"

namespace ra::testing {
namespace {

using numerics::merge_weights;
using numerics::MergeCase;

TEST(MergeWeights, NegInfRules) {
  const float ninf = -INFINITY;
  auto w = merge_weights(ninf, ninf);
  EXPECT_EQ(w.which, MergeCase::kNeither);
  EXPECT_EQ(w.lse, ninf);
  w = merge_weights(1.5f, ninf);
  EXPECT_EQ(w.which, MergeCase::kOnlyA);
  EXPECT_EQ(w.lse, 1.5f);
  w = merge_weights(ninf, -2.0f);
  EXPECT_EQ(w.which, MergeCase::kOnlyB);
  EXPECT_EQ(w.lse, -2.0f);
}

TEST(MergeWeights, SymmetricWeightsSumToOneAndLseMatchesF64) {
  const float vals[] = {-80.0f, -3.25f, 0.0f, 0.5f, 7.0f, 60.0f};
  for (float a : vals) {
    for (float b : vals) {
      const auto w = merge_weights(a, b);
      const auto wr = merge_weights(b, a);
      EXPECT_EQ(w.lse, wr.lse) << a << " " << b;
      EXPECT_EQ(w.w_a, wr.w_b);
      const double ref = std::max<double>(a, b) + std::log1p(std::exp(-std::fabs(double(a) - double(b))));
      // LSE is f32: its rounding (|LSE|·eps) carries into the weights exp(LSE_x - LSE).
      const double lse_ulps = 4 * 1.1920929e-7 * std::max(1.0, std::fabs(ref));
      EXPECT_NEAR(w.lse, ref, lse_ulps) << a << " " << b;
      EXPECT_NEAR(double(w.w_a) + double(w.w_b), 1.0, 2 * lse_ulps) << a << " " << b;
    }
  }
}

// Two halves of the keys, each finalized, then merged, equal attention over all keys;
// an empty side leaves the other bitwise unchanged; two empty sides give (0, -inf).
TEST(Merge, TwoFinalizedHalvesEqualTheWhole) {
  const AttnCase whole = make_case({.lq = 31, .lk = 40, .hq = 2, .hkv = 1, .d = 16, .causal = true, .q_pos_offset = 9});
  AttnCase left = whole, right = whole;
  left.lk = 20;
  right.lk = 20;
  const std::size_t half = static_cast<std::size_t>(20 * whole.hkv * whole.d);
  left.k.assign(whole.k.begin(), whole.k.begin() + static_cast<std::ptrdiff_t>(half));
  left.v.assign(whole.v.begin(), whole.v.begin() + static_cast<std::ptrdiff_t>(half));
  right.k.assign(whole.k.begin() + static_cast<std::ptrdiff_t>(half), whole.k.end());
  right.v.assign(whole.v.begin() + static_cast<std::ptrdiff_t>(half), whole.v.end());
  left.pos_k.resize(20);
  left.seg_k.resize(20);
  right.pos_k.assign(whole.pos_k.begin() + 20, whole.pos_k.end());
  right.seg_k.assign(whole.seg_k.begin() + 20, whole.seg_k.end());

  kernels::cpu::CpuAttention op({});
  AttnResult<float> a = run_block_op(op, left, {});
  const AttnResult<float> b = run_block_op(op, right, {});
  const AttnResult<double> ref = naive_attention<double>(whole);
  const AttnResult<float> a_before = a;
  const Shape o_shape{whole.lq, whole.hq, whole.d}, rows{whole.hq, whole.lq};
  op.merge({TensorView(a.o.data(), DType::kF32, o_shape), TensorView(a.lse.data(), DType::kF32, rows),
            ConstTensorView(b.o.data(), DType::kF32, o_shape), ConstTensorView(b.lse.data(), DType::kF32, rows)});
  double worst_o = 0, worst_lse = 0;
  for (std::size_t i = 0; i < a.o.size(); ++i) worst_o = std::max(worst_o, std::fabs(a.o[i] - ref.o[i]));
  for (std::size_t i = 0; i < a.lse.size(); ++i) {
    if (std::isinf(ref.lse[i])) {
      EXPECT_EQ(a.lse[i], ref.lse[i]);
      continue;
    }
    worst_lse = std::max(worst_lse, std::fabs(a.lse[i] - ref.lse[i]));
  }
  EXPECT_LE(worst_o, 2e-6);
  EXPECT_LE(worst_lse, 2e-6);
  // Rows where the right half saw nothing (early causal queries) are bitwise the left's.
  for (std::int64_t h = 0; h < whole.hq; ++h) {
    for (std::int64_t r = 0; r < whole.lq; ++r) {
      const std::size_t row = static_cast<std::size_t>(h * whole.lq + r);
      if (b.lse[row] != -INFINITY) continue;
      EXPECT_EQ(std::memcmp(&a.lse[row], &a_before.lse[row], 4), 0);
      const std::size_t base = static_cast<std::size_t>((r * whole.hq + h) * whole.d);
      EXPECT_EQ(std::memcmp(&a.o[base], &a_before.o[base], 4 * static_cast<std::size_t>(whole.d)), 0);
    }
  }
}

TEST(Merge, TwoEmptySidesGiveZeroAndNegInf) {
  std::vector<float> oa(8, 3.0f), ob(8, 5.0f), la(2, -INFINITY), lb(2, -INFINITY);
  kernels::cpu::CpuAttention op({});
  op.merge({TensorView(oa.data(), DType::kF32, Shape{2, 1, 4}), TensorView(la.data(), DType::kF32, Shape{1, 2}),
            ConstTensorView(ob.data(), DType::kF32, Shape{2, 1, 4}),
            ConstTensorView(lb.data(), DType::kF32, Shape{1, 2})});
  for (float x : oa) EXPECT_EQ(x, 0.0f);
  for (float x : la) EXPECT_EQ(x, -INFINITY);
}

}  // namespace
}  // namespace ra::testing

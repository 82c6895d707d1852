// The CUDA block operation (tensor-core kernels, kernels/cuda) under the SIMT emulator,
// with threads shuffled between barriers, against the f64 reference with the numerics
// policy of docs/design.md §8 (max|impl − ref64| ≤ 2·max|naive f32 − ref64| + floor): ragged
// shapes, every mask kind, GQA/MQA, ALiBi, packed documents, padding (fully masked rows),
// bf16 and fp16, head dims 64 and 128, keys in several blocks visited out of order as
// the ring does — in both product precisions: MmaPrecision::kExact against the fp32
// policy, MmaPrecision::kFast (the default: P and dS rounded to the storage type) against
// that policy plus its stated 16-bit bound (docs/numerics.md "Error of 16-bit P and dS").
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "kernels/cuda/attention_dispatch.h"
#include "kernels/cuda/op/cuda_attention.h"
#include "kernels/cuda/storage_types.h"
#include "kernels/cuda/tile_config.h"
#include "kernels/simt/runtime.h"
#include "tests/support/golden.h"
#include "tests/support/policy.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"
#include "tests/support/run_block_op.h"

namespace ra::kernels::cuda {
namespace {

using testing::CaseSpec;

class SimtAttention : public ::testing::TestWithParam<CaseSpec> {
 protected:
  void SetUp() override { simt::set_options(simt::EmulatorOptions{}); }
};
class SimtAttentionFast : public SimtAttention {};

CudaAttentionOptions with_precision(MmaPrecision p) {
  CudaAttentionOptions o;
  o.precision = p;
  return o;
}

// The bound a result of `precision` is held to: the fp32 policy (kExact), or the policy
// plus u · max(*_mag16) of the storage type (kFast). A failure prints every tensor's max
// error, where it occurred, both values and the bound.
::testing::AssertionResult meets_bound(MmaPrecision precision, const testing::AttnCase& c,
                                       const testing::AttnResult<float>& got) {
  const testing::AttnResult<double> ref = testing::naive_attention<double>(c);
  const testing::AttnResult<float> naive = testing::naive_attention<float>(c);
  if (precision == MmaPrecision::kExact) return testing::meets_policy(c, got, ref, naive);
  return testing::meets_policy_rounded_products(c, got, ref, naive, testing::unit_roundoff(c.storage));
}

// Keys in three blocks visited last-first, as a ring step order would.
testing::BlockPlan ring_like_plan(std::int64_t lk) {
  if (lk < 3) return {};
  return {{0, lk / 3, 2 * lk / 3}, {2, 0, 1}};
}

TEST_P(SimtAttention, ExactMeetsTheNumericsPolicy) {
  const testing::AttnCase c = testing::make_case(GetParam());
  CudaAttention op(simt_attention_kernels(), with_precision(MmaPrecision::kExact));
  EXPECT_TRUE(meets_bound(MmaPrecision::kExact, c, testing::run_block_op(op, c, ring_like_plan(c.lk))));
}

// The default options are kFast: the test runs what users get.
TEST_P(SimtAttentionFast, FastMeetsItsStatedBound) {
  const testing::AttnCase c = testing::make_case(GetParam());
  ASSERT_EQ(CudaAttentionOptions{}.precision, MmaPrecision::kFast);
  CudaAttention op(simt_attention_kernels(), CudaAttentionOptions{});
  EXPECT_TRUE(meets_bound(MmaPrecision::kFast, c, testing::run_block_op(op, c, ring_like_plan(c.lk))));
}

CaseSpec spec(std::int64_t lq, std::int64_t lk, std::int64_t hq, std::int64_t hkv, std::int64_t d, DType storage) {
  CaseSpec s;
  s.lq = lq;
  s.lk = lk;
  s.hq = hq;
  s.hkv = hkv;
  s.d = d;
  s.storage = storage;
  return s;
}

CaseSpec causal(CaseSpec s, std::int32_t window = 0) {
  s.causal = true;
  s.window = window;
  return s;
}

CaseSpec packed(CaseSpec s, int segments, std::int64_t padding) {
  s.segments = segments;
  s.padding = padding;
  return s;
}

CaseSpec with_alibi(CaseSpec s) {
  s.alibi = true;
  return s;
}

CaseSpec windowed(CaseSpec s, std::int32_t window) {
  s.window = window;
  return s;
}

const CaseSpec kCases[] = {
    spec(1, 1, 1, 1, 64, DType::kBF16),
    causal(spec(113, 113, 2, 1, 64, DType::kBF16)),                // GQA, ragged tiles, diagonal
    spec(7, 77, 1, 1, 128, DType::kF16),                           // short queries, long keys
    with_alibi(causal(spec(130, 70, 4, 1, 64, DType::kF16), 17)),  // MQA, window, ALiBi
    packed(spec(100, 100, 2, 2, 128, DType::kBF16), 3, 5),         // documents + padding rows
    windowed(spec(65, 65, 2, 1, 64, DType::kBF16), 1),             // bidirectional W = 1: the diagonal
    packed(causal(spec(90, 90, 2, 1, 128, DType::kF16)), 2, 9),
};

INSTANTIATE_TEST_SUITE_P(Cases, SimtAttention, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CaseSpec>& i) { return testing::case_name(i.param); });
INSTANTIATE_TEST_SUITE_P(Cases, SimtAttentionFast, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CaseSpec>& i) { return testing::case_name(i.param); });

std::vector<float> concat(const testing::AttnResult<float>& r) {
  std::vector<float> all;
  for (const auto* t : {&r.o, &r.lse, &r.dq, &r.dk, &r.dv}) all.insert(all.end(), t->begin(), t->end());
  return all;
}

// No atomics and a fixed order per output element: another thread interleaving gives
// bitwise the same results.
TEST(SimtAttentionDeterminism, BitwiseEqualUnderDifferentThreadOrders) {
  const testing::AttnCase c = testing::make_case(packed(causal(spec(80, 80, 2, 1, 64, DType::kF16)), 2, 3));
  for (const MmaPrecision precision : kMmaPrecisions) {
    std::vector<float> first;
    for (std::uint64_t seed : {1u, 7u}) {
      simt::EmulatorOptions o;
      o.seed = seed;
      simt::set_options(o);
      CudaAttention op(simt_attention_kernels(), with_precision(precision));
      const std::vector<float> all = concat(testing::run_block_op(op, c, ring_like_plan(c.lk)));
      if (first.empty()) {
        first = all;
      } else {
        ASSERT_EQ(all.size(), first.size());
        EXPECT_EQ(std::memcmp(all.data(), first.data(), all.size() * sizeof(float)), 0)
            << mma_precision_name(precision) << ", seed " << seed;
      }
    }
  }
  simt::set_options(simt::EmulatorOptions{});
}

// The switch is not a no-op, and each mode keeps its own bound. On one case per storage
// type: kExact meets the fp32 policy (its old tight tolerance); kFast meets its stated
// bound u · max(*_mag16) but not the fp32 policy, its dV error (fp32 output, so no
// storage rounding hides it) is far above kExact's, and its O differs from kExact's.
// The max errors are printed, so a run shows what the two modes cost.
TEST(SimtAttentionPrecision, FastDiffersFromExactAndEachMeetsItsOwnBound) {
  for (const DType storage : {DType::kBF16, DType::kF16}) {
    const testing::AttnCase c = testing::make_case(causal(spec(96, 96, 2, 1, 64, storage)));
    SCOPED_TRACE(c.name);
    const testing::AttnResult<double> ref = testing::naive_attention<double>(c);
    const testing::AttnResult<float> naive = testing::naive_attention<float>(c);
    auto run = [&](MmaPrecision p) {
      CudaAttention op(simt_attention_kernels(), with_precision(p));
      return testing::run_block_op(op, c);
    };
    const testing::AttnResult<float> exact = run(MmaPrecision::kExact), fast = run(MmaPrecision::kFast);
    auto max_err = [](const std::vector<float>& got, const std::vector<double>& want, std::size_t* at) {
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i) {
        const double e = std::abs(got[i] - want[i]);
        if (e > worst) {
          worst = e;
          *at = i;
        }
      }
      return worst;
    };
    std::size_t at_exact = 0, at_fast = 0;
    const double dv_exact = max_err(exact.dv, ref.dv, &at_exact), dv_fast = max_err(fast.dv, ref.dv, &at_fast);
    const double u = testing::unit_roundoff(storage);
    std::cout << "[ precision] " << c.name << ": dV max error exact " << dv_exact << " at " << at_exact << ", fast "
              << dv_fast << " at " << at_fast
              << " (u · max dv_mag16 = " << testing::rounded_product_floor(u, ref.dv_mag16) << ")\n";

    EXPECT_TRUE(testing::meets_policy(c, exact, ref, naive)) << "kExact keeps the fp32 policy";
    EXPECT_TRUE(testing::meets_policy_rounded_products(c, fast, ref, naive, u)) << "kFast within its stated bound";
    EXPECT_FALSE(testing::meets_policy(c, fast, ref, naive)) << "kFast is not fp32-exact: the switch did nothing";
    EXPECT_GT(dv_fast, 16 * dv_exact) << "dV: fast " << dv_fast << " at " << at_fast << " vs exact " << dv_exact
                                      << " at " << at_exact;
    EXPECT_NE(std::memcmp(fast.o.data(), exact.o.data(), fast.o.size() * sizeof(float)), 0) << "O is bitwise kExact's";
  }
}

// The independent golden cases (tests/golden/attention: head dims 16 and 32, GQA,
// MQA, windows, ALiBi, packed documents, padding, one token) with their inputs rounded to
// bf16 and to fp16, against our f64 reference on the rounded inputs (which
// kernels_golden_test checks against the golden results on the original ones).
TEST(SimtAttentionGolden, EveryCaseInBf16AndF16BothPrecisions) {
  const std::vector<std::filesystem::path> cases = testing::golden_cases();
  ASSERT_FALSE(cases.empty()) << "golden cases not found at '" << testing::golden_dir().string() << "'";
  for (const std::filesystem::path& dir : cases) {
    for (DType storage : {DType::kBF16, DType::kF16}) {
      testing::AttnCase c = testing::load_golden(dir).c;
      c.storage = storage;
      c.name += storage == DType::kBF16 ? " (bf16)" : " (f16)";
      for (auto* t : {&c.q, &c.k, &c.v, &c.dout})
        for (float& x : *t) x = testing::round_to_storage(x, storage);
      for (const MmaPrecision precision : kMmaPrecisions) {
        CudaAttention op(simt_attention_kernels(), with_precision(precision));
        EXPECT_TRUE(meets_bound(precision, c, testing::run_block_op(op, c, ring_like_plan(c.lk))))
            << c.name << ", " << mma_precision_name(precision);
      }
    }
  }
}

// fp16 splits dS with a per-tile power-of-two scale. Steep ALiBi slopes make whole tiles
// of P lie around e^-85 (below 2^-113): an unbounded scale would be 2^128 = inf and turn
// dK and dQ into NaN. The scale is capped (split.h) and the result meets the policy.
TEST(SimtAttentionFp16, TilesOfTinyProbabilitiesKeepGradientsFinite) {
  testing::AttnCase c = testing::make_case(with_alibi(causal(spec(200, 200, 2, 1, 64, DType::kF16))));
  c.slopes = {1.3f, 1.25f};
  for (const MmaPrecision precision : kMmaPrecisions) {
    SCOPED_TRACE(mma_precision_name(precision));
    CudaAttention op(simt_attention_kernels(), with_precision(precision));
    const testing::AttnResult<float> got = testing::run_block_op(op, c);
    for (const std::vector<float>* t : {&got.dq, &got.dk, &got.dv})
      for (float x : *t) ASSERT_TRUE(std::isfinite(x));
    EXPECT_TRUE(meets_bound(precision, c, got));
  }
}

// On a GPU with less opt-in shared memory than the layouts need (sm_86/sm_89: 99 KiB),
// the launch is refused with the figures before anything runs; smaller layouts still run.
// Both precisions' D = 128 layouts are too large there.
TEST(SimtAttentionErrors, LayoutsLargerThanTheDeviceAllowsAreRefused) {
  simt::EmulatorOptions o;
  o.limits.max_shared_bytes = 99 * 1024;
  simt::set_options(o);
  {
    CudaAttention fast(simt_attention_kernels(), with_precision(MmaPrecision::kFast));
    try {
      testing::run_block_op(fast, testing::make_case(spec(8, 8, 1, 1, 128, DType::kBF16)));
      ADD_FAILURE() << "the D = 128 forward layout was launched on a 99 KiB device";
    } catch (const UsageError& e) {
      const std::string want = "CUDA attention (forward, head_dim 128) needs " +
                               std::to_string(forward_smem(128, MmaPrecision::kFast, 2).bytes) +
                               " bytes of shared memory per block; this device allows 101376";
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
  CudaAttention op(simt_attention_kernels(), with_precision(MmaPrecision::kExact));
  try {
    testing::run_block_op(op, testing::make_case(spec(8, 8, 1, 1, 128, DType::kBF16)));
    ADD_FAILURE() << "a 124 KB layout was launched on a 99 KiB device";
  } catch (const UsageError& e) {
    EXPECT_NE(
        std::string(e.what()).find("CUDA attention (forward, head_dim 128) needs 124416 bytes of shared memory per "
                                   "block; this device allows 101376"),
        std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(testing::run_block_op(op, testing::make_case(spec(8, 8, 1, 1, 32, DType::kBF16))));
  simt::set_options(simt::EmulatorOptions{});
}

TEST(SimtAttentionErrors, UnsupportedHeadDimAndStorageAreUsageErrors) {
  CudaAttention op(simt_attention_kernels(), CudaAttentionOptions{});
  CaseSpec s = spec(8, 8, 1, 1, 40, DType::kBF16);
  try {
    testing::run_block_op(op, testing::make_case(s));
    ADD_FAILURE() << "head_dim 40 was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("head_dim 40 is not supported by this backend (supported: 16, 32, 64, 128)"),
              std::string::npos)
        << e.what();
  }
  s.d = 64;
  s.storage = DType::kF32;
  try {
    testing::run_block_op(op, testing::make_case(s));
    ADD_FAILURE() << "f32 storage was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("this backend's storage dtypes: bf16, f16"), std::string::npos) << e.what();
  }
}

// The dispatch itself (attention_dispatch.h), below the op's validation: every instance
// of the table (attention_instances.h) reaches its kernel with every field of the params,
// and a combination outside the table is the UsageError that names the table.
//
// One query, one key (causal, ALiBi, distinct positions): once with the key after the
// query, which leaves the state empty; then visible, where P = 1 exactly, so the
// accumulator is V bitwise, the row sum 1 and the row max scale·q·k + bias; with LSE =
// the row max and Dsum = 0, dV = dO, dQ = scale·(dO·V)·K and dK = scale·(dO·V)·Q. Every
// field of both params structs has an effect that is checked (or is read: the segments).
//
// kFast rounds dS = dO·V (one term) to T before dQ and dK: those get a relative error of
// at most u, against 1e-6 for kExact; P = 1 is exact in both.
template <typename T>
void check_every_head_dim(KernelStorage storage, MmaPrecision precision) {
  for (const std::int64_t d64 : kCudaHeadDims) {
    SCOPED_TRACE(std::string(kernel_storage_name(storage)) + " head_dim " + std::to_string(d64) + " " +
                 mma_precision_name(precision));
    const auto d = static_cast<std::int32_t>(d64);
    const auto n = static_cast<std::size_t>(d);
    std::vector<T> q(n), k(n), v(n), dout(n);
    for (std::size_t i = 0; i < n; ++i) {
      q[i] = from_f32<T>(0.125f * static_cast<float>(static_cast<int>(i % 7) - 3));
      k[i] = from_f32<T>(0.25f * static_cast<float>(static_cast<int>(i % 5) - 2));
      v[i] = from_f32<T>(0.5f * static_cast<float>(static_cast<int>(i % 9) - 4) + 0.0625f);
      dout[i] = from_f32<T>(0.75f * static_cast<float>(static_cast<int>(i % 3) - 1) + 0.125f);
    }
    const std::int32_t pos_q[] = {7}, pos_k[] = {4}, pos_later[] = {9}, seg[] = {0};
    const float slope[] = {0.5f};
    const float scale = 0.375f;
    const MaskParams mask{.rule = {numerics::MaskKind::kCausal, 0}, .scale = scale, .alibi_slopes = slope};
    const TokenMetaPtrs q_meta{.pos = pos_q, .seg = seg}, k_meta{.pos = pos_k, .seg = seg};
    const AttnShape shape{1, 1, 1, 1, d};
    std::vector<float> acc(n, 0.0f), row_max{numerics::neg_inf()}, row_sum{0.0f};
    ForwardParams fwd{.shape = shape,
                      .mask = mask,
                      .precision = precision,
                      .q = q.data(),
                      .k = k.data(),
                      .v = v.data(),
                      .q_meta = q_meta,
                      .k_meta = {.pos = pos_later, .seg = seg},
                      .acc = acc.data(),
                      .row_max = row_max.data(),
                      .row_sum = row_sum.data()};
    // A causal mask and a key after the query: nothing visible, the state stays empty.
    simt_attention_kernels().forward(storage, fwd, nullptr);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(acc[i], 0.0f) << "acc element " << i;
    EXPECT_EQ(row_max[0], numerics::neg_inf());
    EXPECT_EQ(row_sum[0], 0.0f);
    fwd.k_meta = k_meta;
    simt_attention_kernels().forward(storage, fwd, nullptr);
    double qk = 0, dp = 0;
    for (std::size_t i = 0; i < n; ++i) {
      qk += static_cast<double>(to_f32(q[i])) * to_f32(k[i]);
      dp += static_cast<double>(to_f32(dout[i])) * to_f32(v[i]);
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(acc[i], to_f32(v[i])) << "acc element " << i;
    EXPECT_EQ(row_sum[0], 1.0f);
    EXPECT_NEAR(row_max[0], scale * qk - 0.5 * 3, 1e-6);  // ALiBi: slope 0.5, positions 7 and 4

    const std::vector<float> lse = row_max, dsum{0.0f};
    std::vector<float> dq(n, 0.0f), dk(n, 0.0f), dv(n, 0.0f);
    simt_attention_kernels().backward(storage,
                                      {.shape = shape,
                                       .mask = mask,
                                       .precision = precision,
                                       .q = q.data(),
                                       .k = k.data(),
                                       .v = v.data(),
                                       .dout = dout.data(),
                                       .lse = lse.data(),
                                       .dsum = dsum.data(),
                                       .q_meta = q_meta,
                                       .k_meta = k_meta,
                                       .dq = dq.data(),
                                       .dk = dk.data(),
                                       .dv = dv.data()},
                                      nullptr);
    const double u = precision == MmaPrecision::kFast ? (storage == KernelStorage::kBf16 ? 0x1p-8 : 0x1p-11)
                                                      : 0.0;  // |q|, |k| ≤ 0.5 below
    const double tol = 1e-6 * std::max(1.0, std::abs(scale * dp)) + u * std::abs(scale * dp) * 0.5;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(dv[i], to_f32(dout[i])) << "dv element " << i;
      ASSERT_NEAR(dq[i], scale * dp * to_f32(k[i]), tol) << "dq element " << i;
      ASSERT_NEAR(dk[i], scale * dp * to_f32(q[i]), tol) << "dk element " << i;
    }
  }
}

TEST(SimtAttentionDispatch, EveryInstanceOfTheTableRunsItsKernelsWithEveryField) {
  simt::set_options(simt::EmulatorOptions{});
  for (const MmaPrecision precision : kMmaPrecisions) {
#define RA_ATTENTION_X(storage, type, name, dtype) check_every_head_dim<type>(KernelStorage::storage, precision);
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  }
}

TEST(SimtAttentionDispatch, CombinationsOutsideTheTableAreUsageErrorsNamingIt) {
  const MaskParams mask{.rule = {}, .scale = 1.0f, .alibi_slopes = nullptr};
  const TokenMetaPtrs meta{.pos = nullptr, .seg = nullptr};
  const ForwardParams fwd{.shape = {8, 8, 1, 1, 40},
                          .mask = mask,
                          .precision = MmaPrecision::kExact,
                          .q = nullptr,
                          .k = nullptr,
                          .v = nullptr,
                          .q_meta = meta,
                          .k_meta = meta,
                          .acc = nullptr,
                          .row_max = nullptr,
                          .row_sum = nullptr};
  const BackwardParams bwd{.shape = {8, 8, 1, 1, 48},
                           .mask = mask,
                           .precision = MmaPrecision::kFast,
                           .q = nullptr,
                           .k = nullptr,
                           .v = nullptr,
                           .dout = nullptr,
                           .lse = nullptr,
                           .dsum = nullptr,
                           .q_meta = meta,
                           .k_meta = meta,
                           .dq = nullptr,
                           .dk = nullptr,
                           .dv = nullptr};
  auto message = [](const auto& call) {
    try {
      call();
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no UsageError");
  };
  EXPECT_NE(message([&] { simt_attention_kernels().forward(KernelStorage::kBf16, fwd, nullptr); })
                .find("CUDA attention forward: no kernel for storage dtype bf16 with head_dim 40 and precision exact "
                      "(built: bf16, f16 with head_dim 16, 32, 64, 128, products fast, exact)"),
            std::string::npos);
  EXPECT_NE(message([&] { simt_attention_kernels().backward(KernelStorage::kF16, bwd, nullptr); })
                .find("CUDA attention backward: no kernel for storage dtype f16 with head_dim 48 and precision fast "
                      "(built: bf16, f16 with head_dim 16, 32, 64, 128, products fast, exact)"),
            std::string::npos);
  const auto not_in_table = static_cast<KernelStorage>(200);
  const std::string finalize_error = message([&] {
    simt_attention_kernels().finalize(not_in_table, {{8, 1, 64}, nullptr, nullptr, nullptr, nullptr, nullptr}, nullptr);
  });
  EXPECT_NE(finalize_error.find("CUDA attention finalize: no kernel for storage dtype ? with head_dim 64 (built: bf16"),
            std::string::npos)
      << finalize_error;
  EXPECT_NE(message([&] { simt_attention_kernels().forward(not_in_table, fwd, nullptr); }).find("no kernel"),
            std::string::npos);
  // A precision outside the table (a params struct filled from a bad cast) is refused too.
  ForwardParams bad = fwd;
  bad.shape.d = 64;
  bad.precision = static_cast<MmaPrecision>(7);
  EXPECT_NE(message([&] {
              simt_attention_kernels().forward(KernelStorage::kBf16, bad, nullptr);
            }).find("no kernel for storage dtype bf16 with head_dim 64 and precision ?(7)"),
            std::string::npos);
}

}  // namespace
}  // namespace ra::kernels::cuda

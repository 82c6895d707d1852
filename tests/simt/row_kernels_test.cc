// The per-row CUDA kernels (init_state, finalize, backward_prepare, merge) under the
// emulator against the CPU implementation of the block operation, on hostile shapes
// (one row, ragged head dims, rows that saw no key, -inf merges): the same operations
// in the same order, so the results are bitwise equal. That promise holds on every ISA
// because this file and kernels/cpu/cpu_attention.cc both compile with
// -ffp-contract=off (no multiply-add is fused on one side only); see
// kernels/cpu/CMakeLists.txt. On a GPU nvcc fuses them: `ringattn selftest` holds the
// real kernels to the numerics policy instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/cpu_attention.h"
#include "kernels/cuda/row_launch.h"

namespace ra::kernels::cuda {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Shape3 {
  std::int32_t lq, hq, d;
};

const Shape3 kShapes[] = {{1, 1, 1}, {7, 3, 40}, {113, 2, 64}, {300, 4, 128}};

// Bitwise equality; on failure, how many elements differ, the largest difference and
// where it is.
::testing::AssertionResult bitwise(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  std::size_t differ = 0, at = 0;
  double worst = -1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(float)) == 0) continue;
    ++differ;
    const double e = std::isnan(a[i]) || std::isnan(b[i]) ? INFINITY : std::fabs(static_cast<double>(a[i]) - b[i]);
    if (e > worst) worst = e, at = i;
  }
  if (differ == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differ << " of " << a.size() << " elements differ; max |diff| " << worst
                                       << " at element " << at << " (cpu " << a[at] << ", emulated " << b[at] << ")";
}

// A random softmax state in which some rows saw no key (sum 0, max -inf).
struct State {
  std::vector<float> acc, mx, sm;
  State(const Shape3& s, std::mt19937& rng)
      : acc(static_cast<std::size_t>(s.lq * s.hq * s.d)), mx(static_cast<std::size_t>(s.lq * s.hq)), sm(mx.size()) {
    std::uniform_real_distribution<float> u(-3, 3);
    for (float& x : acc) x = u(rng);
    for (std::size_t i = 0; i < mx.size(); ++i) {
      const bool empty = i % 5 == 2;
      mx[i] = empty ? kNegInf : u(rng);
      sm[i] = empty ? 0.0f : 1.0f + std::fabs(u(rng));
    }
  }
};

TEST(SimtRowKernels, InitStateSetsZeroAndMinusInfinity) {
  for (const Shape3& s : kShapes) {
    std::mt19937 rng(1);
    State st(s, rng);
    launch_init_state({{s.lq, s.hq, s.d}, st.acc.data(), st.mx.data(), st.sm.data()}, nullptr);
    for (float x : st.acc) ASSERT_EQ(x, 0.0f);
    for (float x : st.mx) ASSERT_EQ(x, kNegInf);
    for (float x : st.sm) ASSERT_EQ(x, 0.0f);
  }
}

TEST(SimtRowKernels, FinalizeIsBitwiseTheCpuOne) {
  cpu::CpuAttention cpu_op(cpu::CpuAttentionOptions{});
  for (const Shape3& s : kShapes) {
    std::mt19937 rng(2);
    State st(s, rng);
    const Shape os{s.lq, s.hq, s.d}, rs{s.hq, s.lq};
    std::vector<float> o_cpu(st.acc.size()), lse_cpu(st.mx.size()), o_gpu(st.acc.size()), lse_gpu(st.mx.size());
    cpu_op.finalize({{TensorView(st.acc.data(), DType::kF32, os), TensorView(st.mx.data(), DType::kF32, rs),
                      TensorView(st.sm.data(), DType::kF32, rs)},
                     TensorView(o_cpu.data(), DType::kF32, os),
                     TensorView(lse_cpu.data(), DType::kF32, rs)});
    launch_finalize<float>({{s.lq, s.hq, s.d}, st.acc.data(), st.mx.data(), st.sm.data(), o_gpu.data(), lse_gpu.data()},
                           nullptr);
    EXPECT_TRUE(bitwise(o_cpu, o_gpu)) << s.lq << "x" << s.hq << "x" << s.d;
    EXPECT_TRUE(bitwise(lse_cpu, lse_gpu)) << s.lq << "x" << s.hq << "x" << s.d;
    // bf16 output: the CPU rounds the same fp32 value once.
    std::vector<__nv_bfloat16> o_bf(st.acc.size());
    std::vector<bf16> o_cpu_bf(st.acc.size());
    cpu_op.finalize({{TensorView(st.acc.data(), DType::kF32, os), TensorView(st.mx.data(), DType::kF32, rs),
                      TensorView(st.sm.data(), DType::kF32, rs)},
                     TensorView(o_cpu_bf.data(), DType::kBF16, os),
                     TensorView(lse_cpu.data(), DType::kF32, rs)});
    launch_finalize<__nv_bfloat16>(
        {{s.lq, s.hq, s.d}, st.acc.data(), st.mx.data(), st.sm.data(), o_bf.data(), lse_gpu.data()}, nullptr);
    for (std::size_t i = 0; i < o_bf.size(); ++i) ASSERT_EQ(o_bf[i].bits, o_cpu_bf[i].bits) << "element " << i;
  }
}

TEST(SimtRowKernels, PrepareIsBitwiseTheCpuOne) {
  cpu::CpuAttention cpu_op(cpu::CpuAttentionOptions{});
  for (const Shape3& s : kShapes) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-2, 2);
    std::vector<float> o(static_cast<std::size_t>(s.lq * s.hq * s.d)), dout(o.size());
    for (float& x : o) x = u(rng);
    for (float& x : dout) x = u(rng);
    const Shape os{s.lq, s.hq, s.d}, rs{s.hq, s.lq};
    std::vector<float> d_cpu(static_cast<std::size_t>(s.lq * s.hq)), d_gpu(d_cpu.size());
    cpu_op.backward_prepare({ConstTensorView(o.data(), DType::kF32, os), ConstTensorView(dout.data(), DType::kF32, os),
                             TensorView(d_cpu.data(), DType::kF32, rs)});
    launch_prepare<float>({{s.lq, s.hq, s.d}, o.data(), dout.data(), d_gpu.data()}, nullptr);
    EXPECT_TRUE(bitwise(d_cpu, d_gpu)) << s.lq << "x" << s.hq << "x" << s.d;
  }
}

TEST(SimtRowKernels, MergeIsBitwiseTheCpuOneIncludingInfinities) {
  cpu::CpuAttention cpu_op(cpu::CpuAttentionOptions{});
  for (const Shape3& s : kShapes) {
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> u(-4, 4);
    const std::size_t n = static_cast<std::size_t>(s.lq * s.hq * s.d), rows = static_cast<std::size_t>(s.lq * s.hq);
    std::vector<float> oa(n), ob(n), la(rows), lb(rows);
    for (float& x : oa) x = u(rng);
    for (float& x : ob) x = u(rng);
    for (std::size_t i = 0; i < rows; ++i) {  // every combination of finite and -inf sides
      la[i] = i % 4 == 1 || i % 4 == 3 ? kNegInf : u(rng);
      lb[i] = i % 4 == 2 || i % 4 == 3 ? kNegInf : u(rng);
    }
    std::vector<float> oa_gpu = oa, la_gpu = la;
    const Shape os{s.lq, s.hq, s.d}, rs{s.hq, s.lq};
    cpu_op.merge({TensorView(oa.data(), DType::kF32, os), TensorView(la.data(), DType::kF32, rs),
                  ConstTensorView(ob.data(), DType::kF32, os), ConstTensorView(lb.data(), DType::kF32, rs)});
    launch_merge({{s.lq, s.hq, s.d}, oa_gpu.data(), la_gpu.data(), ob.data(), lb.data()}, nullptr);
    EXPECT_TRUE(bitwise(la, la_gpu)) << s.lq << "x" << s.hq << "x" << s.d;
    // Every combination of sides, two-sided rows (w_a·a + w_b·b) included.
    EXPECT_TRUE(bitwise(oa, oa_gpu)) << s.lq << "x" << s.hq << "x" << s.d;
  }
}

}  // namespace
}  // namespace ra::kernels::cuda

// The independent golden cases of tests/golden/attention (f64 results from another
// implementation), for the CPU kernels in one block and in several blocks out of order.
// The same files also check our own f64 reference against the golden one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "kernels/cpu/cpu_attention.h"
#include "tests/support/golden.h"
#include "tests/support/policy.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"
#include "tests/support/run_block_op.h"

namespace ra::testing {
namespace {

namespace fs = std::filesystem;

class GoldenCases : public ::testing::Test {
 protected:
  void SetUp() override {
    all_ = golden_cases();
    // They ship with the repository (tests/golden/attention): absent means a broken
    // checkout or a wrong RA_GOLDEN_DIR, never a reason to skip.
    ASSERT_FALSE(all_.empty()) << "golden cases not found at '" << golden_dir().string()
                               << "' (they ship in tests/golden/attention; RA_GOLDEN_DIR overrides)";
  }
  std::vector<fs::path> all_;
};

TEST_F(GoldenCases, AllEightArePresent) { EXPECT_EQ(all_.size(), 8u); }

TEST_F(GoldenCases, OurF64ReferenceAgreesWithGolden) {
  for (const fs::path& p : all_) {
    const Golden g = load_golden(p);
    const AttnResult<double> ours = naive_attention<double>(g.c);
    auto close = [&](const char* what, const std::vector<double>& a, const std::vector<double>& b) {
      ASSERT_EQ(a.size(), b.size()) << g.c.name << " " << what;
      double worst = 0;
      std::size_t at = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const double e =
            (std::isinf(a[i]) || std::isinf(b[i])) ? (a[i] == b[i] ? 0 : INFINITY) : std::fabs(a[i] - b[i]);
        if (e > worst) worst = e, at = i;
      }
      EXPECT_LE(worst, 1e-9) << g.c.name << " " << what << ": max err at flat index " << at;
    };
    close("O", ours.o, g.expected.o);
    close("LSE", ours.lse, g.expected.lse);
    close("dQ", ours.dq, g.expected.dq);
    close("dK", ours.dk, g.expected.dk);
    close("dV", ours.dv, g.expected.dv);
  }
}

TEST_F(GoldenCases, CpuKernelsOneBlock) {
  for (const fs::path& p : all_) {
    const Golden g = load_golden(p);
    for (int threads : {1, 2}) {
      kernels::cpu::CpuAttentionOptions o;
      o.threads = threads;
      kernels::cpu::CpuAttention op(o);
      EXPECT_TRUE(meets_policy(g.c, run_block_op(op, g.c), g.expected, naive_attention<float>(g.c)));
    }
  }
}

TEST_F(GoldenCases, CpuKernelsSmallTilesBlocksOutOfOrder) {
  for (const fs::path& p : all_) {
    const Golden g = load_golden(p);
    kernels::cpu::CpuAttentionOptions o;
    o.threads = 2;
    o.forward = {8, 16};
    o.backward = {8, 8};
    kernels::cpu::CpuAttention op(o);
    BlockPlan plan;
    if (g.c.lk >= 3) {
      plan.block_starts = {0, g.c.lk / 3, 2 * g.c.lk / 3};
      plan.order = {2, 0, 1};
    }
    EXPECT_TRUE(meets_policy(g.c, run_block_op(op, g.c, plan), g.expected, naive_attention<float>(g.c)));
  }
}

}  // namespace
}  // namespace ra::testing

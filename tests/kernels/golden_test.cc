// The independent golden cases of ../shared/golden/attention (f64 results from another
// implementation), for the CPU kernels in one block and in several blocks out of order.
// The same files also check our own f64 reference against the golden one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "kernels/cpu/cpu_attention.h"
#include "runtime/io/npy.h"
#include "tests/support/policy.h"
#include "tests/support/reference.h"
#include "tests/support/run_block_op.h"

namespace ra::testing {
namespace {

namespace fs = std::filesystem;

// The configured directory (-DRA_GOLDEN_DIR), overridable at run time by $RA_GOLDEN_DIR.
fs::path golden_dir() {
  const char* env = std::getenv("RA_GOLDEN_DIR");
  return env ? fs::path(env) : fs::path(RA_GOLDEN_DIR_DEFAULT);
}

// meta.json is flat: "key": value pairs of numbers and booleans.
double meta_number(const std::string& json, const std::string& key) {
  const std::regex re("\"" + key + "\"\\s*:\\s*([-+0-9.eE]+|true|false)");
  std::smatch m;
  if (!std::regex_search(json, m, re)) throw std::runtime_error("meta.json lacks '" + key + "'");
  if (m[1] == "true") return 1;
  if (m[1] == "false") return 0;
  return std::stod(m[1]);
}

struct Golden {
  AttnCase c;
  AttnResult<double> expected;
};

Golden load(const fs::path& dir) {
  std::ifstream f(dir / "meta.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string meta = ss.str();
  Golden g;
  AttnCase& c = g.c;
  c.name = dir.filename().string();
  c.causal = meta_number(meta, "causal") != 0;
  c.window = static_cast<std::int32_t>(meta_number(meta, "window"));
  c.scale = meta_number(meta, "scale");
  c.alibi = meta_number(meta, "alibi") != 0;
  c.lq = c.lk = static_cast<std::int64_t>(meta_number(meta, "seq_len"));
  c.hq = static_cast<std::int64_t>(meta_number(meta, "heads"));
  c.hkv = static_cast<std::int64_t>(meta_number(meta, "kv_heads"));
  c.d = static_cast<std::int64_t>(meta_number(meta, "head_dim"));
  auto arr = [&](const char* name) { return io::read_npy((dir / name).string()); };
  c.q = arr("q.npy").to_f32();
  c.k = arr("k.npy").to_f32();
  c.v = arr("v.npy").to_f32();
  c.dout = arr("dout.npy").to_f32();
  c.pos_q = c.pos_k = arr("pos.npy").to_i32();
  c.seg_q = c.seg_k = arr("seg.npy").to_i32();
  if (c.alibi) c.slopes = arr("alibi.npy").to_f32();
  g.expected.o = arr("o.npy").to_f64();
  g.expected.lse = arr("lse.npy").to_f64();
  g.expected.dq = arr("dq.npy").to_f64();
  g.expected.dk = arr("dk.npy").to_f64();
  g.expected.dv = arr("dv.npy").to_f64();
  // The golden files carry values only; the gradient floors need the sums of |terms|,
  // which our f64 reference computes (it agrees with golden: OurF64ReferenceAgreesWithGolden).
  const AttnResult<double> ours = naive_attention<double>(c);
  g.expected.dq_mag = ours.dq_mag;
  g.expected.dk_mag = ours.dk_mag;
  g.expected.dv_mag = ours.dv_mag;
  return g;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  const fs::path dir = golden_dir();
  if (dir.empty() || !fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && fs::exists(e.path() / "meta.json")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class GoldenCases : public ::testing::Test {
 protected:
  void SetUp() override {
    all_ = cases();
    if (all_.empty()) GTEST_SKIP() << "golden cases not found at '" << golden_dir().string()
                                   << "' (configure with -DRA_GOLDEN_DIR=...)";
  }
  std::vector<fs::path> all_;
};

TEST_F(GoldenCases, AllEightArePresent) { EXPECT_EQ(all_.size(), 8u); }

TEST_F(GoldenCases, OurF64ReferenceAgreesWithGolden) {
  for (const fs::path& p : all_) {
    const Golden g = load(p);
    const AttnResult<double> ours = naive_attention<double>(g.c);
    auto close = [&](const char* what, const std::vector<double>& a, const std::vector<double>& b) {
      ASSERT_EQ(a.size(), b.size()) << g.c.name << " " << what;
      double worst = 0;
      std::size_t at = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const double e = (std::isinf(a[i]) || std::isinf(b[i])) ? (a[i] == b[i] ? 0 : INFINITY) : std::fabs(a[i] - b[i]);
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
    const Golden g = load(p);
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
    const Golden g = load(p);
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

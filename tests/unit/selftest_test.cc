// The self-test can fail: the CPU kernels pass their own self-test with errors far below
// the tolerances, and an implementation with a planted defect (the ALiBi bias dropped, or
// the scale of dK doubled) fails it, naming the tensor.
#include <gtest/gtest.h>

#include "kernels/cpu/cpu_attention.h"
#include "runtime/selftest/attention_selftest.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/selftest/device_placement.h"
#include "runtime/selftest/selftest_report.h"

namespace ra::selftest {
namespace {

// The CPU kernels with one planted defect.
enum class Defect : std::uint8_t { kNone, kNoAlibi, kDoubleDk };

class DefectiveOp final : public kernels::AttentionBlockOp {
 public:
  explicit DefectiveOp(Defect d) : defect_(d), inner_(kernels::cpu::CpuAttentionOptions{}) {}
  const kernels::BackendSupport& support() const override { return inner_.support(); }
  void init_state(const kernels::SoftmaxState& s) override { inner_.init_state(s); }
  void forward_accumulate(const kernels::ForwardArgs& a) override {
    kernels::ForwardArgs b = a;
    if (defect_ == Defect::kNoAlibi) b.mask.alibi_slopes = {};
    inner_.forward_accumulate(b);
  }
  void finalize(const kernels::FinalizeArgs& a) override { inner_.finalize(a); }
  void backward_prepare(const kernels::BackwardPrepareArgs& a) override { inner_.backward_prepare(a); }
  void backward(const kernels::BackwardArgs& a) override {
    inner_.backward(a);
    if (defect_ == Defect::kDoubleDk) inner_.backward(a);  // dK, dV (and dQ) accumulated twice
  }
  void merge(const kernels::MergeArgs& a) override { inner_.merge(a); }

 private:
  Defect defect_;
  kernels::cpu::CpuAttention inner_;
};

std::vector<SelftestResult> run_all(Defect d) {
  DefectiveOp op(d);
  kernels::cpu::CpuAttention reference(kernels::cpu::CpuAttentionOptions{});
  device::cpu::CpuDevice host;
  auto stream = host.create_stream("selftest");
  std::vector<SelftestResult> out;
  for (const SelftestCase& c : selftest_cases(SelftestScale::kEmulator)) {
    DevicePlacement where(host, *stream);
    out.push_back(run_selftest_case(c, reference, op, where));
  }
  return out;
}

TEST(Selftest, TheCpuKernelsPassTheirOwn) {
  const std::vector<SelftestResult> r = run_all(Defect::kNone);
  ASSERT_EQ(r.size(), 12u);
  for (const SelftestResult& x : r) EXPECT_TRUE(x.ok()) << correctness_table({x});
  EXPECT_NE(correctness_table(r).find("all 12 cases PASS"), std::string::npos);
}

TEST(Selftest, ADroppedAlibiBiasFailsTheAlibiCasesOnO) {
  for (const SelftestResult& x : run_all(Defect::kNoAlibi)) {
    EXPECT_EQ(x.ok(), !x.c.alibi) << x.c.name;
    if (x.c.alibi) {
      EXPECT_FALSE(x.errors[0].ok()) << "O";
      EXPECT_NE(correctness_table({x}).find("O: max error"), std::string::npos) << correctness_table({x});
    }
  }
}

TEST(Selftest, DoubledGradientsFail) {
  for (const SelftestResult& x : run_all(Defect::kDoubleDk)) {
    EXPECT_FALSE(x.ok()) << x.c.name;
    EXPECT_FALSE(x.errors[4].ok()) << "dK in " << x.c.name;
  }
}

}  // namespace
}  // namespace ra::selftest

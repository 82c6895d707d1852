// The CUDA block operation inside the ring executor: the tensor-core kernels run under
// the SIMT emulator on each rank's compute stream (CPU streams, MPI between ranks, this
// binary under `mpiexec -n P`), and every rank's O, LSE, dQ, dK, dV in token order meet
// the numerics policy against the single-process f64 reference — the kernels plug into
// the ring as the CPU kernels do.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "kernels/cuda/op/cuda_attention.h"
#include "tests/distributed/mpi_test_env.h"
#include "tests/support/golden.h"
#include "tests/support/policy.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"
#include "tests/support/ring_harness.h"

namespace ra::testing {
namespace {

using layout::Layout;

struct SimtRingParam {
  CaseSpec spec;
  Layout layout;
};

std::vector<SimtRingParam> params() {
  std::vector<SimtRingParam> out;
  for (Layout l : {Layout::kContiguous, Layout::kZigzag, Layout::kStriped}) {
    out.push_back(
        {{.lq = 130, .lk = 130, .hq = 4, .hkv = 2, .d = 64, .causal = true, .storage = DType::kBF16, .seed = 31}, l});
    out.push_back({{.lq = 97,
                    .lk = 97,
                    .hq = 2,
                    .hkv = 1,
                    .d = 32,
                    .causal = true,
                    .window = 21,
                    .alibi = true,
                    .storage = DType::kF16,
                    .seed = 32},
                   l});
    out.push_back({{.lq = 90,
                    .lk = 90,
                    .hq = 2,
                    .hkv = 2,
                    .d = 128,
                    .causal = false,
                    .segments = 3,
                    .padding = 6,
                    .storage = DType::kBF16,
                    .seed = 33},
                   l});
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<SimtRingParam>& info) {
  return case_name(info.param.spec) + "_" + std::string(layout::layout_name(info.param.layout));
}

class SimtRing : public ::testing::TestWithParam<SimtRingParam> {};

TEST_P(SimtRing, CudaKernelsInTheRingMeetThePolicy) {
  const AttnCase c = make_case(GetParam().spec);
  kernels::cuda::CudaAttention op(kernels::cuda::simt_attention_kernels(), kernels::cuda::CudaAttentionOptions{});
  RingRunOptions o;
  o.layout = GetParam().layout;
  o.op = &op;
  const RingRun run = run_ring(world(), c, o);
  // The default options: P and dS rounded to the storage type (MmaPrecision::kFast), held
  // to the policy plus its 16-bit product bound (docs/numerics.md).
  EXPECT_TRUE(meets_policy_rounded_products(c, run.result, naive_attention<double>(c), naive_attention<float>(c),
                                            unit_roundoff(c.storage)))
      << "P = " << world().size() << ", rank " << world().rank();
}

INSTANTIATE_TEST_SUITE_P(Cases, SimtRing, ::testing::ValuesIn(params()), param_name);

// The golden cases' masks and shapes (inputs rounded to bf16) through the ring in the
// zigzag layout, against our f64 reference on the rounded inputs.
TEST(SimtRingGolden, EveryCaseBf16Zigzag) {
  const auto dirs = golden_cases();
  if (dirs.empty()) GTEST_SKIP() << "golden cases not found at '" << golden_dir().string() << "'";
  for (const std::filesystem::path& dir : dirs) {
    AttnCase c = load_golden(dir).c;
    c.storage = DType::kBF16;
    for (auto* t : {&c.q, &c.k, &c.v, &c.dout})
      for (float& x : *t) x = round_to_storage(x, c.storage);
    // The fp32-exact products here: the golden cases keep the tight policy through the ring.
    kernels::cuda::CudaAttentionOptions exact;
    exact.precision = kernels::cuda::MmaPrecision::kExact;
    kernels::cuda::CudaAttention op(kernels::cuda::simt_attention_kernels(), exact);
    RingRunOptions o;
    o.layout = Layout::kZigzag;
    o.op = &op;
    const RingRun run = run_ring(world(), c, o);
    EXPECT_TRUE(meets_policy(c, run.result, naive_attention<double>(c), naive_attention<float>(c)))
        << c.name << ", P = " << world().size();
  }
}

}  // namespace
}  // namespace ra::testing

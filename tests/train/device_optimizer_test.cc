// DeviceAdamW (runtime/train/device_optimizer.h) on a CPU device with the emulator's
// kernels against the CPU AdamW, step by step, on the parameter layout of a small model
// (matrices decay, norm gains do not): with the clip active and inactive, through the
// warm-up and the cosine schedule.
//
// Tolerance: the update kernel and the CPU loop evaluate the same f32 formula from the
// same f32 scalars (adamw_scalars rounds as optimizer.cc does); they may differ in
// contraction (fma) and in the clip factor (the device's √ of a fixed-order double sum
// vs the CPU's sequential double sum, both rounded to f32). simt_model_kernels_test
// bounds one update by 8 f32 ulps per term; over a few steps the moments carry those
// differences along, so parameters are checked to 8·steps ulps of their magnitude plus
// 8·steps ulps of lr (the update's own size), moments likewise, the gradient norm to
// 1e-12 relative (two double sums of the same f32 squares).
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <vector>

#include "kernels/cuda/model/model_dispatch.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/device/device_tensor.h"
#include "runtime/model/params.h"
#include "runtime/train/device_optimizer.h"
#include "runtime/train/optimizer.h"

namespace ra::train {
namespace {

constexpr double kEps32 = 1.0 / (1 << 23);

struct ClipCase {
  const char* name;
  double grad_clip;
  double grad_scale;  // gradients ~ N(0, scale²): with 4 000+ elements, clip 1 is active at 0.1
};

void PrintTo(const ClipCase& k, std::ostream* os) { *os << k.name; }

class DeviceAdamWTest : public ::testing::TestWithParam<ClipCase> {};

TEST_P(DeviceAdamWTest, MatchesTheCpuOptimizer) {
  model::ModelConfig c;
  c.vocab = 19;
  c.d_model = 16;
  c.layers = 2;
  c.heads = 2;
  c.kv_heads = 1;
  c.head_dim = 8;
  c.mlp_hidden = 24;
  c.embeddings = model::Embeddings::kUntied;
  const model::ParamLayout layout(c);
  const std::int64_t elems = layout.total_elems();
  std::vector<float> p_cpu;
  model::init_params<float>(layout, 3, c.layers, p_cpu);

  AdamWOptions o;
  o.peak_lr = 1e-2;
  o.min_lr = 1e-3;
  o.warmup_steps = 2;
  o.total_steps = 5;
  o.grad_clip = GetParam().grad_clip;
  AdamW cpu(o, layout);

  device::cpu::CpuDevice dev;
  const std::unique_ptr<device::Stream> stream = dev.create_stream("optimizer");
  DeviceAdamW gpu(o, layout, dev, *stream, kernels::cuda::simt_model_kernels());
  device::DeviceTensor params(dev, DType::kF32, Shape{elems}), grads(dev, DType::kF32, Shape{elems});
  params.upload(p_cpu.data(), *stream);

  std::mt19937_64 rng(9);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(GetParam().grad_scale));
  const int steps = 6;
  std::vector<float> g(static_cast<std::size_t>(elems)), p_dev(g.size()), m_dev, v_dev;
  for (int step = 0; step < steps; ++step) {
    for (float& x : g) x = normal(rng);
    grads.upload(g.data(), *stream);
    const StepStats s_dev = gpu.update(params.view(), grads.view(), step);  // waits: g may change after
    std::vector<float> g_cpu = g;                                           // the CPU clips in place
    const StepStats s_cpu = cpu.update(p_cpu, g_cpu, step);
    EXPECT_EQ(s_dev.lr, s_cpu.lr) << "step " << step;
    EXPECT_NEAR(s_dev.grad_norm, s_cpu.grad_norm, 1e-12 * s_cpu.grad_norm) << "step " << step;
    if (o.grad_clip > 0 && step == 0) {
      EXPECT_EQ(s_cpu.grad_norm > o.grad_clip, GetParam().grad_scale > 0.05) << "the case's clip regime";
    }

    params.download(p_dev.data(), *stream);
    gpu.download_moments(m_dev, v_dev);
    stream->synchronize();
    const double ulps = 8.0 * (step + 1) * kEps32;
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < p_dev.size(); ++i) {
      const double tol = ulps * (std::fabs(p_cpu[i]) + s_cpu.lr);
      const double e = std::fabs(double{p_dev[i]} - p_cpu[i]) / tol;
      if (e > worst) worst = e, at = i;
      EXPECT_LE(std::fabs(double{m_dev[i]} - cpu.m()[i]), ulps * std::fabs(cpu.m()[i]) + 1e-30) << "m[" << i << "]";
      EXPECT_LE(std::fabs(double{v_dev[i]} - cpu.v()[i]), ulps * std::fabs(cpu.v()[i]) + 1e-30) << "v[" << i << "]";
    }
    EXPECT_LE(worst, 1.0) << "step " << step << ": parameter " << at << " device " << p_dev[at] << " cpu " << p_cpu[at];
  }
}

const ClipCase kClipCases[] = {
    {"clipped", 1.0, 0.1},
    {"below_clip", 1.0, 1e-3},
    {"no_clip", 0.0, 0.1},
};

INSTANTIATE_TEST_SUITE_P(Cases, DeviceAdamWTest, ::testing::ValuesIn(kClipCases),
                         [](const ::testing::TestParamInfo<ClipCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ra::train

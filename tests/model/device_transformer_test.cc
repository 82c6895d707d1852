// The device transformer (runtime/model/device_transformer.h) on one rank, with the
// emulator's build of the ModelKernels, the CPU executor of cuBLAS's GEMM semantics and a
// CPU device, against the CPU Transformer<float> on the same tiny model (2 layers, d 32,
// 4 query heads over 2 KV heads, RoPE plain, NTK and linear, ALiBi, no positions, tied
// and untied embeddings, two documents, targets with holes):
//
// Gradients, per parameter tensor, by the numerics policy against the f64 model g64:
//   err_dev = max|g_dev − g64|  ≤  2·err_cpu + 1e-5·max|g64|,   err_cpu = max|g_cpu32 − g64|
// and directly against the CPU f32 model (triangle inequality over the same bound):
//   max|g_dev − g_cpu32|        ≤  3·err_cpu + 1e-5·max|g64|.
// Both are fp32 models whose only differences are summation orders (the GEMM executor
// sums k sequentially, OpenBLAS in blocks; RMSNorm and cross-entropy use block trees on
// the device), so the device's error against f64 is of the CPU's size; the floor
// 1e-5·max|g| is the repo's fp32 summation-order floor (tests/distributed/model_sp_test.cc:
// batched vs per-sequence f32 differ by up to 2e-5·max|g| with sharper weights).
//
// Loss: the device sums f32 row losses in double, the CPU sums rows computed in double:
//   |loss_dev − loss_cpu| ≤ 2·|loss_cpu − loss64| + 8·ε₃₂·Σ_rows(|lse_i| + |l_target|)
// (a few roundings of lse and the logit per row, ε₃₂ = 2⁻²³).
//
// Finite differences: the device gradient against central differences of the device's
// own fp32 loss along one direction per parameter tensor (see FiniteDifferences below).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/gemm/host_column_major_gemm.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/device/device_tensor.h"
#include "runtime/model/device_transformer.h"
#include "runtime/model/transformer.h"
#include "tests/model/naive_attention_fn.h"

namespace ra::model {
namespace {

constexpr double kEps32 = 1.0 / (1 << 23);
// Weights 4× the init's (model_sp_test.cc uses 8; at 8 this model's logits reach ~15
// nats per row and f32 gradient noise grows past the 1e-5 floor): nonlinear enough that
// a wrong gradient shows, tame enough for fp32 finite differences.
constexpr double kSharpen = 4.0;

// A host attention function (the f32 naive reference) behind the device contract: its
// inputs may still be queued on the model's stream, so it waits for the stream first.
// On the CPU device the device pointers are host pointers.
class HostAttentionOnStream final : public DeviceAttentionFn {
 public:
  HostAttentionOnStream(AttentionFn<float>& inner, device::Stream& stream) : inner_(inner), stream_(stream) {}
  void forward(const float* q, const float* k, const float* v, float* o, float* lse) override {
    stream_.synchronize();
    inner_.forward(q, k, v, o, lse);
  }
  void backward(const float* q, const float* k, const float* v, const float* o, const float* lse, const float* dout,
                float* dq, float* dk, float* dv) override {
    stream_.synchronize();
    inner_.backward(q, k, v, o, lse, dout, dq, dk, dv);
  }

 private:
  AttentionFn<float>& inner_;
  device::Stream& stream_;
};

struct Case {
  const char* name;
  Embeddings embeddings;
  Positions positions;
  RopeOptions rope;
};

// gtest prints the case by name (not as bytes) in test listings.
void PrintTo(const Case& k, std::ostream* os) { *os << k.name; }

ModelConfig config_of(const Case& k) {
  ModelConfig c;
  c.vocab = 37;
  c.d_model = 32;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.head_dim = 8;
  c.mlp_hidden = 48;
  c.embeddings = k.embeddings;
  c.positions = k.positions;
  c.rope = k.rope;
  return c;
}

// 20 tokens: two documents (positions restart at 9) and targets with holes (−1).
struct Tokens {
  std::vector<std::int32_t> tokens, targets, positions, segments;
  std::int64_t n = 20;
  explicit Tokens(std::int64_t vocab) {
    for (std::int64_t i = 0; i < n; ++i) {
      tokens.push_back(static_cast<std::int32_t>((i * 11 + 3) % vocab));
      targets.push_back(i % 7 == 6 || i == 8 ? -1 : static_cast<std::int32_t>((i * 5 + 2) % vocab));
      positions.push_back(static_cast<std::int32_t>(i < 9 ? i : i - 9));
      segments.push_back(i < 9 ? 0 : 1);
    }
  }
};

// The device side: CPU device, one stream, the emulator's kernels, the CPU GEMM executor.
struct DeviceSide {
  device::cpu::CpuDevice dev;
  std::unique_ptr<device::Stream> stream = dev.create_stream("model");
  gemm::HostColumnMajorGemm gemm;
  DeviceTransformer model;
  device::DeviceTensor tokens, targets, positions, params, grads;

  DeviceSide(const ModelConfig& c, const Tokens& t, const DeviceModelOptions& options = {})
      : model(c, {dev, *stream, kernels::cuda::simt_model_kernels(), gemm}, options),
        tokens(dev, DType::kI32, Shape{t.n}),
        targets(dev, DType::kI32, Shape{t.n}),
        positions(dev, DType::kI32, Shape{t.n}),
        params(dev, DType::kF32, Shape{model.layout().total_elems()}),
        grads(dev, DType::kF32, Shape{model.layout().total_elems()}) {
    tokens.upload(t.tokens.data(), *stream);
    targets.upload(t.targets.data(), *stream);
    positions.upload(t.positions.data(), *stream);
    stream->synchronize();
  }
  DeviceTokenShard shard(std::int64_t n) {
    return {tokens.view().data<std::int32_t>(), targets.view().data<std::int32_t>(),
            positions.view().data<std::int32_t>(), n};
  }
  // Loss and gradients (zeroed first) at `p`.
  StepLoss run(const std::vector<float>& p, std::int64_t n, DeviceAttentionFn& attention, float scale,
               std::vector<float>* g) {
    params.upload(p.data(), *stream);
    dev.fill_zero(grads.view(), *stream);
    const StepLoss sl = model.forward_backward(params.view(), shard(n), attention, scale, grads.view());
    if (g != nullptr) {
      g->resize(p.size());
      grads.download(g->data(), *stream);
      stream->synchronize();
    }
    return sl;
  }
};

std::vector<double> init(const ParamLayout& layout, std::int64_t layers, double sharpen = kSharpen) {
  std::vector<double> p64;
  init_params<double>(layout, 11, layers, p64);
  // Sharper weights, rounded to f32 so all three models start equal.
  for (double& x : p64) x = static_cast<double>(static_cast<float>(x * sharpen));
  return p64;
}

const Case kCases[] = {
    {"tied_rope", Embeddings::kTied, Positions::kRope, {}},
    {"untied_rope_ntk", Embeddings::kUntied, Positions::kRope, {500.0, RopeScaling::kNtk, 2.0}},
    {"tied_rope_linear", Embeddings::kTied, Positions::kRope, {10000.0, RopeScaling::kLinear, 4.0}},
    // ALiBi and no positions: the model skips RoPE; the attention function does the rest.
    {"untied_alibi", Embeddings::kUntied, Positions::kAlibi, {}},
    {"tied_nopos", Embeddings::kTied, Positions::kNone, {}},
};

class DeviceTransformerTest : public ::testing::TestWithParam<Case> {};

TEST_P(DeviceTransformerTest, LossAndGradientsMatchTheCpuModel) {
  const ModelConfig c = config_of(GetParam());
  const Tokens t(c.vocab);
  const ParamLayout layout(c);
  const std::vector<double> p64 = init(layout, c.layers);
  const std::vector<float> p32(p64.begin(), p64.end());
  const TokenShard host_shard{t.tokens.data(), t.targets.data(), t.positions.data(), t.n};
  const double scale = 1.0 / 17.0;

  Transformer<double> m64(c);
  testing::NaiveAttentionFn<double> att64(c, t.positions.data(), t.segments.data(), t.n);
  std::vector<double> g64(p64.size(), 0.0);
  const StepLoss l64 = m64.forward_backward(p64, host_shard, att64, scale, g64);

  Transformer<float> m32(c);
  testing::NaiveAttentionFn<float> att32(c, t.positions.data(), t.segments.data(), t.n);
  std::vector<float> g32(p32.size(), 0.0f);
  const StepLoss l32 = m32.forward_backward(p32, host_shard, att32, static_cast<float>(scale), g32);
  std::vector<float> logits32;
  m32.forward_logits(p32, host_shard, att32, logits32);

  DeviceSide dev(c, t);
  HostAttentionOnStream att_dev(att32, *dev.stream);
  std::vector<float> gdev;
  const StepLoss ldev = dev.run(p32, t.n, att_dev, static_cast<float>(scale), &gdev);

  // Loss.
  EXPECT_EQ(ldev.valid_rows, l32.valid_rows);
  double row_terms = 0;
  for (std::int64_t i = 0; i < t.n; ++i) {
    const std::int32_t target = t.targets[static_cast<std::size_t>(i)];
    if (target < 0) continue;
    const float* li = logits32.data() + i * c.vocab;
    const double m = *std::max_element(li, li + c.vocab);
    double s = 0;
    for (std::int64_t v = 0; v < c.vocab; ++v) s += std::exp(static_cast<double>(li[v]) - m);
    row_terms += std::fabs(m + std::log(s)) + std::fabs(static_cast<double>(li[target]));
  }
  const double loss_tol = 2 * std::fabs(l32.loss_sum - l64.loss_sum) + 8 * kEps32 * row_terms;
  EXPECT_NEAR(ldev.loss_sum, l32.loss_sum, loss_tol) << "f64 loss " << l64.loss_sum;
  std::printf("[%s] loss: device %.9g, cpu f32 %.9g, f64 %.9g (|dev − cpu| %.3g, tolerance %.3g)\n", GetParam().name,
              ldev.loss_sum, l32.loss_sum, l64.loss_sum, std::fabs(ldev.loss_sum - l32.loss_sum), loss_tol);

  // Gradients, tensor by tensor.
  double worst_ratio = 0;
  for (const ParamSlice& s : layout.slices()) {
    double err_dev = 0, err_cpu = 0, diff = 0, mag = 0;
    std::int64_t at = 0, at_diff = 0;
    for (std::int64_t i = s.offset_elems; i < s.offset_elems + s.elems(); ++i) {
      const auto u = static_cast<std::size_t>(i);
      const double e = std::fabs(gdev[u] - g64[u]);
      if (e > err_dev) err_dev = e, at = i;
      const double dd = std::fabs(static_cast<double>(gdev[u]) - g32[u]);
      if (dd > diff) diff = dd, at_diff = i;
      err_cpu = std::max(err_cpu, std::fabs(g32[u] - g64[u]));
      mag = std::max(mag, std::fabs(g64[u]));
    }
    const double floor = 1e-5 * mag;
    worst_ratio = std::max(worst_ratio, err_dev / (2 * err_cpu + floor));
    EXPECT_LE(err_dev, 2 * err_cpu + floor)
        << s.name << ": max |g_dev − g64| " << err_dev << " at element " << at - s.offset_elems << " (device "
        << gdev[static_cast<std::size_t>(at)] << ", f64 " << g64[static_cast<std::size_t>(at)] << "), cpu f32 err "
        << err_cpu << ", max|g| " << mag;
    EXPECT_LE(diff, 3 * err_cpu + floor) << s.name << ": max |g_dev − g_cpu32| " << diff << " at element "
                                         << at_diff - s.offset_elems << " (device "
                                         << gdev[static_cast<std::size_t>(at_diff)] << ", cpu "
                                         << g32[static_cast<std::size_t>(at_diff)] << "), cpu f32 err " << err_cpu
                                         << ", max|g| " << mag;
  }
  std::printf("[%s] gradients: worst err_dev / (2·err_cpu + 1e-5·max|g|) over the tensors = %.3f\n", GetParam().name,
              worst_ratio);

  // forward_logits: the same logits as the CPU model's, by the same policy (f64 logits
  // as the reference).
  std::vector<double> logits64;
  m64.forward_logits(p64, host_shard, att64, logits64);
  device::DeviceTensor logits_dev(dev.dev, DType::kF32, Shape{t.n * c.vocab});
  dev.params.upload(p32.data(), *dev.stream);
  dev.model.forward_logits(dev.params.view(), dev.shard(t.n), att_dev, logits_dev.view());
  std::vector<float> logits(static_cast<std::size_t>(t.n * c.vocab));
  logits_dev.download(logits.data(), *dev.stream);
  dev.stream->synchronize();
  double err_dev = 0, err_cpu = 0, mag = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    err_dev = std::max(err_dev, std::fabs(logits[i] - logits64[i]));
    err_cpu = std::max(err_cpu, std::fabs(logits32[i] - logits64[i]));
    mag = std::max(mag, std::fabs(logits64[i]));
  }
  EXPECT_LE(err_dev, 2 * err_cpu + 1e-5 * mag) << "logits: cpu f32 err " << err_cpu << ", max|logit| " << mag;
}

// kBf16Activations: bf16 activations and GEMM operands, fp32 master weights, gradients,
// residual-stream gradient and loss. Against the f64 model, per parameter tensor:
//   max|g_bf16 − g64| ≤ 8·u·max|g64|,   u = 2⁻⁸ (bf16's unit roundoff),
// and the loss within u/2 relative. Derivation: every activation is rounded once per
// stage (a, q, k, v, o, y, b, u, g, hgate, x; in the backward the GEMM operands dx, dy,
// db, da, dq, dk, dv, dlogits), each a relative error ≤ u; a tensor's gradient sees ~20
// of them along its chain, first order and partly cancelling, times the model's
// conditioning — which grows with the weights' scale (sharper softmaxes): measured worst
// ratio 2.9 u at the init's scale, 4.1 u at 2× (used here), 30 u at 4× (the f32 tests'
// scale, where bf16 is simply too coarse for a tight check). A wrong cast or operand is
// O(1); the loss, one f32 reduction of f32 logits, is off by ≤ 0.1 u.
constexpr double kBf16Unit = 1.0 / 256;
constexpr double kBf16Sharpen = 2.0;
constexpr double kBf16GradFactor = 8;
constexpr double kBf16LossFactor = 0.5;

TEST_P(DeviceTransformerTest, Bf16ActivationsTrackTheF64Model) {
  const ModelConfig c = config_of(GetParam());
  const Tokens t(c.vocab);
  const ParamLayout layout(c);
  const std::vector<double> p64 = init(layout, c.layers, kBf16Sharpen);
  const std::vector<float> p32(p64.begin(), p64.end());
  const TokenShard host_shard{t.tokens.data(), t.targets.data(), t.positions.data(), t.n};
  const double scale = 1.0 / 17.0;

  Transformer<double> m64(c);
  testing::NaiveAttentionFn<double> att64(c, t.positions.data(), t.segments.data(), t.n);
  std::vector<double> g64(p64.size(), 0.0);
  const StepLoss l64 = m64.forward_backward(p64, host_shard, att64, scale, g64);

  DeviceSide dev(c, t, {DevicePrecision::kBf16Activations});
  testing::NaiveAttentionFn<float> att32(c, t.positions.data(), t.segments.data(), t.n);
  HostAttentionOnStream att_dev(att32, *dev.stream);
  std::vector<float> g;
  const StepLoss l = dev.run(p32, t.n, att_dev, static_cast<float>(scale), &g);
  EXPECT_EQ(l.valid_rows, l64.valid_rows);
  EXPECT_NEAR(l.loss_sum, l64.loss_sum, kBf16LossFactor * kBf16Unit * l64.loss_sum);
  double worst = 0, smallest = 1e30;
  for (const ParamSlice& s : layout.slices()) {
    double err = 0, mag = 0;
    std::int64_t at = 0;
    for (std::int64_t i = s.offset_elems; i < s.offset_elems + s.elems(); ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (std::fabs(g[u] - g64[u]) > err) err = std::fabs(g[u] - g64[u]), at = i;
      mag = std::max(mag, std::fabs(g64[u]));
    }
    const double ratio = err / (kBf16Unit * mag);
    worst = std::max(worst, ratio);
    smallest = std::min(smallest, ratio);
    EXPECT_LE(ratio, kBf16GradFactor) << s.name << ": max |g_bf16 − g64| " << err << " at element "
                                      << at - s.offset_elems << " (bf16 " << g[static_cast<std::size_t>(at)] << ", f64 "
                                      << g64[static_cast<std::size_t>(at)] << "), max|g| " << mag;
  }
  // And bf16 is in effect: the f32 model is within ~1e-5·max|g|, far below u.
  EXPECT_GE(worst, 0.25) << "gradients closer to f64 than bf16 allows: were the activations rounded?";
  std::printf(
      "[%s] bf16: loss %.6g vs f64 %.6g (relative %.2e = %.3f u); gradients: max|g_bf16 − g64| / (u·max|g|) "
      "over the tensors: %.3f … %.3f\n",
      GetParam().name, l.loss_sum, l64.loss_sum, std::fabs(l.loss_sum - l64.loss_sum) / l64.loss_sum,
      std::fabs(l.loss_sum - l64.loss_sum) / l64.loss_sum / kBf16Unit, smallest, worst);
}

// The device gradient against central differences of the device's own fp32 loss
// L(θ) = scale·Σ loss, one direction per parameter tensor (every element at once: the
// per-element sweep of model_gradcheck_test.cc would be ~2·10⁴ emulated passes):
//   u = (ĝ + r̂)/‖ĝ + r̂‖ on the tensor (ĝ: the device gradient's direction, r̂: a random
//   unit vector — so an error in any component of g shows, and the signal stays large),
//   fd = (L(θ + h·u) − L(θ − h·u)) / 2h   against   g·u.
// Error of fd: truncation h²/6·|∂³L/∂u³| plus the rounding of the two fp32 losses,
// |δL₊ − δL₋|/2h ≤ δL/h with δL ≤ 8·ε₃₂·L (a few roundings per row; measured ~ε₃₂·L).
// Tolerance, at h = 3e-3:
//   |fd − g·u| ≤ 1e-2·|g·u| + 8·ε₃₂·L/h
// (measured: relative errors ≤ 7e-4 here, i.e. ≤ 0.1 of the tolerance; a gradient that
// is wrong in one term of a sum is off by O(1)).
TEST(DeviceTransformerFiniteDifferences, DirectionalDerivativesMatch) {
  const ModelConfig c = config_of(kCases[1]);  // untied: the head and the embedding apart
  const Tokens t(c.vocab);
  const ParamLayout layout(c);
  const std::vector<double> p64 = init(layout, c.layers);
  std::vector<float> p32(p64.begin(), p64.end());
  const double scale = 1.0 / 17.0;
  DeviceSide dev(c, t);
  testing::NaiveAttentionFn<float> att32(c, t.positions.data(), t.segments.data(), t.n);
  HostAttentionOnStream att(att32, *dev.stream);
  std::vector<float> g;
  const StepLoss base = dev.run(p32, t.n, att, static_cast<float>(scale), &g);
  const double loss = scale * base.loss_sum;
  const double h = 3e-3;
  const double noise = 8 * kEps32 * loss / h;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  double worst = 0;
  for (const ParamSlice& s : layout.slices()) {
    const auto off = static_cast<std::size_t>(s.offset_elems), elems = static_cast<std::size_t>(s.elems());
    std::vector<double> gh(elems), r(elems), u(elems);
    double gn = 0, rn = 0;
    for (std::size_t i = 0; i < elems; ++i) {
      gh[i] = g[off + i];
      r[i] = normal(rng);
      gn += gh[i] * gh[i];
      rn += r[i] * r[i];
    }
    double un = 0;
    for (std::size_t i = 0; i < elems; ++i) {
      u[i] = gh[i] / std::sqrt(gn) + r[i] / std::sqrt(rn);
      un += u[i] * u[i];
    }
    double gu = 0;
    for (std::size_t i = 0; i < elems; ++i) gu += g[off + i] * (u[i] /= std::sqrt(un));
    const auto at = [&](double sign) {
      std::vector<float> p = p32;
      for (std::size_t i = 0; i < elems; ++i) p[off + i] = static_cast<float>(p64[off + i] + sign * h * u[i]);
      return scale * dev.run(p, t.n, att, static_cast<float>(scale), nullptr).loss_sum;
    };
    const double fd = (at(1) - at(-1)) / (2 * h);
    const double tol = 1e-2 * std::fabs(gu) + noise;
    worst = std::max(worst, std::fabs(fd - gu) / tol);
    EXPECT_LE(std::fabs(fd - gu), tol) << s.name << ": directional derivative g·u " << gu << ", finite difference "
                                       << fd << " (relative " << std::fabs(fd - gu) / std::fabs(gu) << ")";
    std::printf("  %-18s g·u %+.6e  fd %+.6e  rel %.2e\n", s.name.c_str(), gu, fd, std::fabs(fd - gu) / std::fabs(gu));
  }
  std::printf("finite differences: worst |fd − g·u| / tolerance = %.3f (rounding floor %.2e)\n", worst, noise);
}

INSTANTIATE_TEST_SUITE_P(Cases, DeviceTransformerTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ra::model

// Training steps of the device transformer under sequence parallelism (this binary runs
// under `mpiexec -n 2`; the world is one ring) on the `simt` backend — CPU-memory device,
// CPU streams, the CUDA attention kernels under the emulator in the ring — with the
// emulator's ModelKernels, the CPU executor of cuBLAS's GEMMs and DeviceAdamW, against
// the CPU Transformer<float> with the CPU AdamW on the same data, ring and attention
// operation (both through RingAttentionFn's bf16 casts: the CUDA kernels store bf16). So
// what differs between the runs is the model's other layers and the optimizer.
//
// Four AdamW steps (warm-up, cosine schedule, clipping at 1.0: the gradient norm is ~4, so
// the clip is exercised). Tolerance, at every step t:
//   |L_dev − L_cpu| ≤ 4·max_{s≤t} |L_control − L_cpu|_s + 2e-5·L_cpu
// where the control run is the CPU model from parameters one f32 ulp off (alternately up
// and down). Why a control run: the two fp32 models agree to ~1e-8·L at step 0, but an
// f32 difference in q, k or v of 1e-7 can flip a bf16 rounding (2⁻⁸ relative) in the
// attention's input, and Adam's first steps are sign-like (m̂/√v̂ = sign g at step 1), so
// gradient elements at noise level turn into ±lr parameter differences; the trajectories
// drift apart at a rate no closed-form bound captures tightly. An ulp-level perturbation
// of the CPU run itself measures that rate; the device may differ from the CPU by a
// small multiple of it. The 2e-5·L floor covers steps where the control happens to stay
// closer than the fp32 evaluation noise. Measured: |dev − cpu| ≈ |control − cpu| at every
// step (1e-8 … 2.4e-5); a wrong bias correction in DeviceAdamW is off by 6e-2 at step 1.
// The gradient norm (device: √ of the fixed-order double sum; CPU: sequential double sum)
// by the same rule with a 1e-4 relative floor. The device's model stream is not the
// ring's compute stream, so RingAttentionFn's producer event is exercised too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/gemm/host_column_major_gemm.h"
#include "runtime/backend/backend.h"
#include "runtime/device/device_tensor.h"
#include "runtime/model/device_transformer.h"
#include "runtime/model/ring_attention_fn.h"
#include "runtime/model/transformer.h"
#include "runtime/train/device_optimizer.h"
#include "runtime/train/optimizer.h"
#include "runtime/train/shard_batch.h"
#include "tests/distributed/mpi_test_env.h"

namespace ra::model {
namespace {

using train::LocalTokens;
using train::SequenceBatch;

// Two sequences of 26 tokens: the first one document, the second two documents and 3
// padding tokens; targets with holes.
SequenceBatch make_batch(std::int64_t vocab) {
  SequenceBatch b;
  b.batch = 2;
  b.seq_len = 26;
  for (std::int64_t s = 0; s < b.batch; ++s) {
    for (std::int64_t i = 0; i < b.seq_len; ++i) {
      const bool pad = s == 1 && i >= b.seq_len - 3;
      const std::int64_t doc = s == 1 && i >= 12 ? 1 : 0, start = doc == 1 ? 12 : 0;
      b.tokens.push_back(static_cast<std::int32_t>((i * 13 + s * 5 + 1) % vocab));
      b.targets.push_back(pad || i % 9 == 8 ? -1 : static_cast<std::int32_t>((i * 7 + s + 2) % vocab));
      b.positions.push_back(static_cast<std::int32_t>(i - start));
      b.segments.push_back(pad ? -1 : static_cast<std::int32_t>(doc));
    }
  }
  return b;
}

constexpr double kSharpen = 2.0;
constexpr double kSpreadFactor = 4.0;
constexpr double kLossFloor = 2e-5;
constexpr double kNormFloor = 1e-4;

ModelConfig tiny() {
  ModelConfig c;
  c.vocab = 37;
  c.d_model = 32;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.head_dim = 16;  // the CUDA attention kernels take 16, 32, 64, 128
  c.mlp_hidden = 48;
  c.positions = Positions::kRope;
  return c;
}

double global_loss(comm::Communicator& sp, double loss_sum, double count) {
  sp.all_reduce(TensorView(&loss_sum, DType::kF64, Shape{1}), comm::ReduceOp::kSum);
  return loss_sum / count;
}

// What both runs share: the backend (its ring and attention op), the model, the data.
struct Shared {
  std::unique_ptr<ring::Backend> be;
  ModelConfig c = tiny();
  SequenceBatch b = make_batch(c.vocab);
  LocalTokens t;
  double count = 0;
  ParamLayout layout{c};
  train::AdamWOptions adamw;
  const kernels::cuda::ModelKernels& kernels = kernels::cuda::simt_model_kernels();
  // The CUDA attention kernels store bf16: both models hand the ring f32 and get f32
  // back through the same casts (RingAttentionFn, AttentionStorage::kBF16).
  RingAttentionOptions attention_options{AttentionStorage::kBF16, &kernels, nullptr};

  explicit Shared(comm::Communicator& world) {
    backend::BackendOptions bo;
    bo.kernels = backend::Kernels::kSimt;
    be = backend::make_backend(world, bo);
    t = train::shard_batch(b, layout::Layout::kZigzag, be->sp->rank(), be->sp->size());
    count = static_cast<double>(train::count_targets(b.targets));
    adamw.peak_lr = 2e-3;
    adamw.min_lr = 2e-4;
    adamw.warmup_steps = 2;
    adamw.total_steps = 8;
    adamw.grad_clip = 1.0;
  }
  RingTokenMeta host_meta() const { return {t.positions.data(), t.segments.data()}; }
};

struct Trajectory {
  std::vector<double> loss, grad_norm, lr;
  std::vector<std::int64_t> valid_rows;
};

// The CPU model and optimizer: `steps` AdamW steps from `p`.
Trajectory run_cpu(Shared& s, std::vector<float> p, int steps) {
  comm::Communicator& sp = *s.be->sp;
  Transformer<float> model(s.c);
  RingAttentionFn attention(s.be->context(), s.c, s.host_meta(), s.host_meta(), s.t.n, s.attention_options);
  train::AdamW opt(s.adamw, s.layout);
  const TokenShard shard{s.t.tokens.data(), s.t.targets.data(), s.t.positions.data(), s.t.n};
  std::vector<float> g(p.size());
  Trajectory out;
  for (int step = 0; step < steps; ++step) {
    std::fill(g.begin(), g.end(), 0.0f);
    const StepLoss l = model.forward_backward(p, shard, attention, static_cast<float>(1.0 / s.count), g);
    sp.all_reduce(TensorView(g.data(), DType::kF32, Shape{static_cast<std::int64_t>(g.size())}), comm::ReduceOp::kSum);
    out.loss.push_back(global_loss(sp, l.loss_sum, s.count));
    out.valid_rows.push_back(l.valid_rows);
    const train::StepStats st = opt.update(p, g, step);
    out.grad_norm.push_back(st.grad_norm);
    out.lr.push_back(st.lr);
  }
  return out;
}

// The device model and DeviceAdamW on the backend's device, on a stream of its own (not
// the ring's compute stream, so RingAttentionFn's producer event is exercised).
Trajectory run_device(Shared& s, const std::vector<float>& p0, int steps) {
  comm::Communicator& sp = *s.be->sp;
  device::Device& dev = *s.be->device;
  const std::unique_ptr<device::Stream> stream = dev.create_stream("model");
  gemm::HostColumnMajorGemm gemm;
  const std::int64_t n = s.t.n, elems = s.layout.total_elems();
  device::DeviceTensor tokens(dev, DType::kI32, Shape{n}), targets(dev, DType::kI32, Shape{n}),
      positions(dev, DType::kI32, Shape{n}), segments(dev, DType::kI32, Shape{n}),
      params(dev, DType::kF32, Shape{elems}), grads(dev, DType::kF32, Shape{elems});
  tokens.upload(s.t.tokens.data(), *stream);
  targets.upload(s.t.targets.data(), *stream);
  positions.upload(s.t.positions.data(), *stream);
  segments.upload(s.t.segments.data(), *stream);
  params.upload(p0.data(), *stream);
  stream->synchronize();
  DeviceTransformer model(s.c, {dev, *stream, s.kernels, gemm});
  RingAttentionOptions ao = s.attention_options;
  ao.producer = stream.get();
  RingAttentionFn attention(s.be->context(), s.c,
                            {positions.view().data<std::int32_t>(), segments.view().data<std::int32_t>()},
                            s.host_meta(), n, ao);
  train::DeviceAdamW opt(s.adamw, s.layout, dev, *stream, s.kernels);
  const DeviceTokenShard shard{tokens.view().data<std::int32_t>(), targets.view().data<std::int32_t>(),
                               positions.view().data<std::int32_t>(), n};
  Trajectory out;
  for (int step = 0; step < steps; ++step) {
    dev.fill_zero(grads.view(), *stream);
    const StepLoss l =
        model.forward_backward(params.view(), shard, attention, static_cast<float>(1.0 / s.count), grads.view());
    // forward_backward returned after its stream finished: the gradients are complete.
    sp.all_reduce(grads.view(), comm::ReduceOp::kSum);
    out.loss.push_back(global_loss(sp, l.loss_sum, s.count));
    out.valid_rows.push_back(l.valid_rows);
    const train::StepStats st = opt.update(params.view(), grads.view(), step);
    out.grad_norm.push_back(st.grad_norm);
    out.lr.push_back(st.lr);
  }
  return out;
}

TEST(DeviceModelSequenceParallel, AdamWStepsMatchTheCpuModel) {
  comm::Communicator& world = ra::testing::world();
  Shared s(world);
  std::vector<double> p64;
  init_params<double>(s.layout, 7, s.c.layers, p64);
  std::vector<float> p(p64.size()), p_nudged(p64.size());
  for (std::size_t i = 0; i < p64.size(); ++i) {
    p[i] = static_cast<float>(p64[i] * kSharpen);
    // The control run: every parameter one f32 ulp off, alternately up and down.
    p_nudged[i] = std::nextafter(p[i], i % 2 == 0 ? 1.0f : -1.0f);
  }
  const int steps = 4;
  const Trajectory cpu = run_cpu(s, p, steps);
  const Trajectory control = run_cpu(s, p_nudged, steps);
  const Trajectory dev = run_device(s, p, steps);

  double spread = 0;
  for (int t = 0; t < steps; ++t) {
    const auto u = static_cast<std::size_t>(t);
    spread = std::max(spread, std::fabs(control.loss[u] - cpu.loss[u]));
    const double tol = kSpreadFactor * spread + kLossFloor * cpu.loss[u];
    EXPECT_EQ(dev.valid_rows[u], cpu.valid_rows[u]) << "step " << t;
    EXPECT_EQ(dev.lr[u], cpu.lr[u]) << "step " << t;
    EXPECT_NEAR(dev.loss[u], cpu.loss[u], tol) << "step " << t << ": control run's spread " << spread;
    EXPECT_NEAR(dev.grad_norm[u], cpu.grad_norm[u],
                kSpreadFactor * std::fabs(control.grad_norm[u] - cpu.grad_norm[u]) + kNormFloor * cpu.grad_norm[u])
        << "step " << t;
    if (world.rank() == 0)
      std::printf(
          "step %d: loss device %.9f cpu %.9f control %.9f (|dev − cpu| %.3g, tolerance %.3g), grad norm "
          "device %.6f cpu %.6f control %.6f, lr %.4g\n",
          t, dev.loss[u], cpu.loss[u], control.loss[u], std::fabs(dev.loss[u] - cpu.loss[u]), tol, dev.grad_norm[u],
          cpu.grad_norm[u], control.grad_norm[u], cpu.lr[u]);
  }
}

}  // namespace
}  // namespace ra::model

#include "runtime/train/train_config.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "runtime/core/check.h"

namespace ra::train {

layout::Layout layout_from(config::Layout l) {
  switch (l) {
    case config::LAYOUT_CONTIGUOUS: return layout::Layout::kContiguous;
    case config::LAYOUT_ZIGZAG: return layout::Layout::kZigzag;
    case config::LAYOUT_STRIPED: return layout::Layout::kStriped;
    default: break;
  }
  throw InternalError("parallel.layout was not resolved (" + config::Layout_Name(l) + ")");
}

namespace {

model::Positions positions_from(config::PositionEncoding p) {
  switch (p) {
    case config::POSITION_ENCODING_ALIBI: return model::Positions::kAlibi;
    case config::POSITION_ENCODING_NONE: return model::Positions::kNone;
    default: return model::Positions::kRope;
  }
}

model::RopeScaling rope_scaling_from(config::RopeScaling s) {
  switch (s) {
    case config::ROPE_SCALING_LINEAR: return model::RopeScaling::kLinear;
    case config::ROPE_SCALING_NTK: return model::RopeScaling::kNtk;
    default: return model::RopeScaling::kNone;
  }
}

}  // namespace

TrainOptions train_options_from(const config::RunConfig& c) {
  // cpu: the host model, activations in fp32. simt, cuda: the device model; config
  // resolution has already required attention.dtype = bf16 (the CUDA kernels' storage)
  // and, for cuda, a build with CUDA.
  const config::Backend backend = c.attention().backend();
  RA_CHECK(UsageError,
           backend == config::BACKEND_CPU || backend == config::BACKEND_SIMT || backend == config::BACKEND_CUDA,
           "`ringattn train` runs on the cpu, simt or cuda backend");
  RA_CHECK(UsageError, backend != config::BACKEND_CPU || c.attention().dtype() == config::DATA_TYPE_FP32,
           "`ringattn train` on the cpu backend keeps activations in fp32: attention.dtype must be fp32");
  const config::Model& m = c.model();
  const config::Train& t = c.train();
  TrainOptions o;
  o.model.vocab = m.vocab();
  o.model.d_model = m.d_model();
  o.model.layers = m.layers();
  o.model.heads = m.heads();
  o.model.kv_heads = m.kv_heads();
  o.model.head_dim = m.head_dim();
  o.model.mlp_hidden = m.mlp_hidden();
  o.model.embeddings = m.tied_embeddings() ? model::Embeddings::kTied : model::Embeddings::kUntied;
  o.model.positions = positions_from(m.positions());
  o.model.rope = {m.rope_base(), rope_scaling_from(m.rope_scaling()), m.rope_factor()};
  o.model.norm_eps = m.norm_eps();
  o.device_precision =
      m.compute() == config::DATA_TYPE_BF16 ? model::DevicePrecision::kBf16Activations : model::DevicePrecision::kF32;
  o.model.mask = {
      c.attention().mask() == config::MASK_CAUSAL ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional,
      static_cast<std::int32_t>(c.attention().window())};
  o.optimizer.peak_lr = t.lr();
  o.optimizer.min_lr = t.min_lr();
  o.optimizer.warmup_steps = static_cast<std::int64_t>(t.warmup_steps());
  o.optimizer.total_steps = static_cast<std::int64_t>(t.steps());
  o.optimizer.beta1 = t.beta1();
  o.optimizer.beta2 = t.beta2();
  o.optimizer.weight_decay = t.weight_decay();
  o.optimizer.grad_clip = t.grad_clip();
  o.layout = layout_from(c.parallel().layout());
  o.dp = static_cast<int>(c.parallel().dp());
  o.steps = static_cast<std::int64_t>(t.steps());
  o.seed = t.seed();
  o.log_every = static_cast<std::int64_t>(t.log_every());
  o.eval_every = static_cast<std::int64_t>(t.eval_every());
  o.eval_batches = t.eval_batches();
  o.checkpoint_every = static_cast<std::int64_t>(t.checkpoint_every());
  // MiB of f32 gradients → elements (at least one when not 0: a tiny bucket is one layer).
  const double bucket_elems = t.grad_bucket_mb() * 1024.0 * 1024.0 / sizeof(float);
  o.grad_bucket_elems = t.grad_bucket_mb() > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(bucket_elems)) : 0;
  model::validate_model_config(o.model);
  return o;
}

}  // namespace ra::train

#include "runtime/model/ring_attention_fn.h"

#include <cmath>

#include "runtime/ring/ring_attention.h"

namespace ra::model {
namespace {

ConstTensorView cview(const void* p, DType t, const Shape& s) { return ConstTensorView(p, t, s); }

}  // namespace

std::vector<float> alibi_slopes(std::int64_t heads) {
  std::vector<float> s(static_cast<std::size_t>(heads));
  for (std::int64_t h = 0; h < heads; ++h)
    s[static_cast<std::size_t>(h)] = std::exp2(-8.0f * static_cast<float>(h + 1) / static_cast<float>(heads));
  return s;
}

RingAttentionFn::RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, const std::int32_t* positions,
                                 const std::int32_t* segments, std::int64_t n)
    : ctx_(ctx), config_(config), positions_(positions), segments_(segments), n_(n) {
  if (config.positions == Positions::kAlibi) slopes_ = alibi_slopes(config.heads);
}

namespace {

struct RingArgs {
  ring::RingShard shard;
  kernels::MaskSpec mask;
};

RingArgs ring_args(const ModelConfig& c, std::int64_t n, const float* q, const float* k, const float* v,
                   const std::int32_t* pos, const std::int32_t* seg, const std::vector<float>& slopes) {
  const Shape q_shape{n, c.heads, c.head_dim}, kv_shape{n, c.kv_heads, c.head_dim};
  const kernels::TokenMeta meta{cview(pos, DType::kI32, Shape{n}), cview(seg, DType::kI32, Shape{n})};
  RingArgs a{{cview(q, DType::kF32, q_shape), cview(k, DType::kF32, kv_shape), cview(v, DType::kF32, kv_shape),
              {meta, meta}, {meta, meta}},
             {}};
  a.mask.rule = c.mask;
  a.mask.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  if (!slopes.empty()) a.mask.alibi_slopes = cview(slopes.data(), DType::kF32, Shape{c.heads});
  return a;
}

}  // namespace

void RingAttentionFn::forward(const float* q, const float* k, const float* v, float* o, float* lse) {
  const RingArgs a = ring_args(config_, n_, q, k, v, positions_, segments_, slopes_);
  ring::RingAttention ring(ctx_, a.mask, a.shard);
  ring.forward(TensorView(o, DType::kF32, Shape{n_, config_.heads, config_.head_dim}),
               TensorView(lse, DType::kF32, Shape{config_.heads, n_}));
}

void RingAttentionFn::backward(const float* q, const float* k, const float* v, const float* o, const float* lse,
                               const float* dout, float* dq, float* dk, float* dv) {
  const RingArgs a = ring_args(config_, n_, q, k, v, positions_, segments_, slopes_);
  ring::RingAttention ring(ctx_, a.mask, a.shard);
  const Shape q_shape{n_, config_.heads, config_.head_dim}, kv_shape{n_, config_.kv_heads, config_.head_dim};
  ring.backward(cview(o, DType::kF32, q_shape), cview(lse, DType::kF32, Shape{config_.heads, n_}),
                cview(dout, DType::kF32, q_shape), TensorView(dq, DType::kF32, q_shape),
                TensorView(dk, DType::kF32, kv_shape), TensorView(dv, DType::kF32, kv_shape));
}

}  // namespace ra::model

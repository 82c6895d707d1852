#include "runtime/model/ring_attention_fn.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/core/check.h"
#include "runtime/ring/ring_attention.h"

namespace ra::model {
namespace {

namespace kc = kernels::cuda;

// Views of the tensors the kernels read are of the ring's device (a CUDA device refuses
// to copy a view tagged host memory); the schedule's metadata is host memory.
ConstTensorView cview(const void* p, DType t, const Shape& s, DeviceKind kind) {
  return ConstTensorView(p, t, s, kind);
}

}  // namespace

std::vector<float> alibi_slopes(std::int64_t heads) {
  std::vector<float> s(static_cast<std::size_t>(heads));
  for (std::int64_t h = 0; h < heads; ++h)
    s[static_cast<std::size_t>(h)] = std::exp2(-8.0f * static_cast<float>(h + 1) / static_cast<float>(heads));
  return s;
}

// The bf16 copies the block operation reads (q, k, v, o, dout) and writes (o), and the
// row indices 0..n−1 of the f32 → bf16 cast.
struct RingAttentionFn::Bf16Copies {
  std::unique_ptr<device::DeviceBuffer> q, k, v, o, dout, rows;
  std::vector<std::int32_t> rows_host;
};

RingAttentionFn::RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, const std::int32_t* positions,
                                 const std::int32_t* segments, std::int64_t n)
    : RingAttentionFn(ctx, config, {positions, segments}, {positions, segments}, n, RingAttentionOptions{}) {}

RingAttentionFn::RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, RingTokenMeta device_meta,
                                 RingTokenMeta host_meta, std::int64_t n, const RingAttentionOptions& options)
    : ctx_(ctx), config_(config), device_meta_(device_meta), host_meta_(host_meta), n_(n), options_(options) {
  if (options_.producer == &ctx.compute) options_.producer = nullptr;
  if (options_.producer != nullptr) produced_ = ctx.device.create_event();
  bool uploaded = false;
  if (config.positions == Positions::kAlibi) {
    // The kernels read the slopes where they read q: host memory on CPU devices, else an
    // uploaded copy.
    slopes_ = alibi_slopes(config.heads);
    slopes_device_ = slopes_.data();
    if (ctx.device.kind() != DeviceKind::kCpu) {
      slopes_buffer_ = ctx.device.allocate(slopes_.size() * sizeof(float));
      ctx.device.upload(slopes_buffer_->view(DType::kF32, Shape{config.heads}), slopes_.data(), ctx.compute);
      uploaded = true;
    }
  }
  if (options_.storage == AttentionStorage::kBF16) {
    RA_CHECK(UsageError, options_.casts != nullptr, "ring attention: bf16 storage needs the model kernels' casts");
    bf16_ = std::make_unique<Bf16Copies>();
    const auto bf16_bytes = [&](std::int64_t features) {
      return static_cast<std::size_t>(std::max<std::int64_t>(n * features, 1)) * dtype_size_bytes(DType::kBF16);
    };
    bf16_->q = ctx.device.allocate(bf16_bytes(config.q_features()));
    bf16_->o = ctx.device.allocate(bf16_bytes(config.q_features()));
    bf16_->dout = ctx.device.allocate(bf16_bytes(config.q_features()));
    bf16_->k = ctx.device.allocate(bf16_bytes(config.kv_features()));
    bf16_->v = ctx.device.allocate(bf16_bytes(config.kv_features()));
    bf16_->rows = ctx.device.allocate(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(std::int32_t));
    bf16_->rows_host.resize(static_cast<std::size_t>(n));
    std::iota(bf16_->rows_host.begin(), bf16_->rows_host.end(), 0);
    ctx.device.upload(bf16_->rows->view(DType::kI32, Shape{n}), bf16_->rows_host.data(), ctx.compute);
    uploaded = true;
  }
  if (uploaded) ctx.compute.synchronize();
  if (slopes_buffer_) slopes_device_ = static_cast<const float*>(slopes_buffer_->raw());
}

RingAttentionFn::~RingAttentionFn() = default;

// The inputs of a pass may still be queued on the producer's stream: the ring's compute
// stream waits for them (the host does not).
void RingAttentionFn::wait_for_producer() {
  if (options_.producer == nullptr) return;
  options_.producer->record(*produced_);
  ctx_.compute.wait(*produced_);
}

// f32 → bf16 (round to nearest even) of a [n, features] tensor. There is no cast kernel
// in the ModelKernels table: the embedding forward is one — y[i, :] = table[rows[i], :]
// with rows = 0..n−1, read as f32 and stored in the storage type.
void RingAttentionFn::to_bf16(const float* src, void* dst, std::int64_t features) {
  const kc::EmbeddingForwardParams p{src, static_cast<const std::int32_t*>(bf16_->rows->raw()), dst, n_, features, n_};
  const kc::ModelKernels& k = *options_.casts;
  device::Stream& s = ctx_.compute;
  s.launch("to bf16", [&k, &s, p] { k.embedding_forward(kc::ModelStorage::kBf16, p, s.native_handle()); });
}

namespace {

struct RingArgs {
  ring::RingShard shard;
  kernels::MaskSpec mask;
};

RingArgs ring_args(const ModelConfig& c, std::int64_t n, const void* q, const void* k, const void* v, DType storage,
                   RingTokenMeta dev, RingTokenMeta host, const float* slopes, DeviceKind kind) {
  const Shape q_shape{n, c.heads, c.head_dim}, kv_shape{n, c.kv_heads, c.head_dim};
  const kernels::TokenMeta meta{cview(dev.positions, DType::kI32, Shape{n}, kind),
                                cview(dev.segments, DType::kI32, Shape{n}, kind)};
  const kernels::TokenMeta host_meta{cview(host.positions, DType::kI32, Shape{n}, DeviceKind::kCpu),
                                     cview(host.segments, DType::kI32, Shape{n}, DeviceKind::kCpu)};
  RingArgs a{{cview(q, storage, q_shape, kind),
              cview(k, storage, kv_shape, kind),
              cview(v, storage, kv_shape, kind),
              {meta, meta},
              {host_meta, host_meta}},
             {}};
  a.mask.rule = c.mask;
  a.mask.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  if (slopes != nullptr) a.mask.alibi_slopes = cview(slopes, DType::kF32, Shape{c.heads}, kind);
  return a;
}

}  // namespace

ring::RingAttention& RingAttentionFn::ring_for(const void* q, const void* k, const void* v, DType storage) {
  const DeviceKind kind = ctx_.device.kind();
  const RingArgs a = ring_args(config_, n_, q, k, v, storage, device_meta_, host_meta_, slopes_device_, kind);
  if (!ring_) {
    ring_ = std::make_unique<ring::RingAttention>(ctx_, a.mask, a.shard);
  } else {
    if (tokens_changed_) ring_->reset_tokens(a.shard.meta, a.shard.host_meta);
    ring_->rebind(a.shard.q, a.shard.k, a.shard.v);
  }
  tokens_changed_ = false;
  return *ring_;
}

void RingAttentionFn::set_tokens(RingTokenMeta device_meta, RingTokenMeta host_meta) {
  device_meta_ = device_meta;
  host_meta_ = host_meta;
  tokens_changed_ = true;
}

void RingAttentionFn::forward(const float* q, const float* k, const float* v, float* o, float* lse) {
  const DeviceKind kind = ctx_.device.kind();
  const Shape q_shape{n_, config_.heads, config_.head_dim};
  const TensorView lse_view(lse, DType::kF32, Shape{config_.heads, n_}, kind);
  wait_for_producer();
  if (!bf16_) {
    ring_for(q, k, v, DType::kF32).forward(TensorView(o, DType::kF32, q_shape, kind), lse_view);
    return;
  }
  to_bf16(q, bf16_->q->raw(), config_.q_features());
  to_bf16(k, bf16_->k->raw(), config_.kv_features());
  to_bf16(v, bf16_->v->raw(), config_.kv_features());
  ring_for(bf16_->q->raw(), bf16_->k->raw(), bf16_->v->raw(), DType::kBF16)
      .forward(bf16_->o->view(DType::kBF16, q_shape), lse_view);
  // o (f32) = 0 + 1·o_bf16: exact. The ring has synchronized; so does this.
  const std::int64_t elems = n_ * config_.q_features();
  ctx_.device.fill_zero(TensorView(o, DType::kF32, Shape{elems}, kind), ctx_.compute);
  const kc::AxpyParams widen{1.0f, bf16_->o->raw(), o, elems};
  const kc::ModelKernels& km = *options_.casts;
  device::Stream& s = ctx_.compute;
  s.launch("o to f32", [&km, &s, widen] { km.axpy(kc::ModelStorage::kBf16, widen, s.native_handle()); });
  s.synchronize();
}

void RingAttentionFn::backward(const float* q, const float* k, const float* v, const float* o, const float* lse,
                               const float* dout, float* dq, float* dk, float* dv) {
  const DeviceKind kind = ctx_.device.kind();
  const Shape q_shape{n_, config_.heads, config_.head_dim}, kv_shape{n_, config_.kv_heads, config_.head_dim};
  const ConstTensorView lse_view = cview(lse, DType::kF32, Shape{config_.heads, n_}, kind);
  const TensorView dq_view(dq, DType::kF32, q_shape, kind), dk_view(dk, DType::kF32, kv_shape, kind),
      dv_view(dv, DType::kF32, kv_shape, kind);
  wait_for_producer();
  if (!bf16_) {
    ring_for(q, k, v, DType::kF32)
        .backward(cview(o, DType::kF32, q_shape, kind), lse_view, cview(dout, DType::kF32, q_shape, kind), dq_view,
                  dk_view, dv_view);
    return;
  }
  // o came from the bf16 o of the forward (recomputed), so its cast back is exact.
  to_bf16(q, bf16_->q->raw(), config_.q_features());
  to_bf16(k, bf16_->k->raw(), config_.kv_features());
  to_bf16(v, bf16_->v->raw(), config_.kv_features());
  to_bf16(o, bf16_->o->raw(), config_.q_features());
  to_bf16(dout, bf16_->dout->raw(), config_.q_features());
  ring_for(bf16_->q->raw(), bf16_->k->raw(), bf16_->v->raw(), DType::kBF16)
      .backward(bf16_->o->view(DType::kBF16, q_shape), lse_view, bf16_->dout->view(DType::kBF16, q_shape), dq_view,
                dk_view, dv_view);
}

}  // namespace ra::model

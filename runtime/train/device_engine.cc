#include <algorithm>
#include <memory>

#include "runtime/core/check.h"
#include "runtime/device/device_tensor.h"
#include "runtime/model/ring_attention_fn.h"
#include "runtime/train/device_optimizer.h"
#include "runtime/train/engine.h"
#include "runtime/train/gradient_reducer.h"

namespace ra::train {
namespace {

// DeviceTransformer and DeviceAdamW on the backend's device (simt, cuda): fp32 master
// parameters, gradients and moments in device memory; attention through the ring in bf16
// storage (the CUDA kernels store bf16); the model on a stream of its own (the ring's
// compute stream waits for it through RingAttentionFn's producer event, so the ring's
// spans stay the attention's). Gradients are summed over the ring, then over the
// data-parallel groups, by the backend's communicators (device views: NCCL, or staged
// through host memory for MPI) — the world's sum in another order — in buckets enqueued
// as the backward finishes each layer (GradientReducer, train.grad_bucket_mb).
class DeviceEngine final : public Engine {
 public:
  DeviceEngine(comm::Communicator& world, ring::Backend& backend, std::unique_ptr<model::DeviceModelParts> parts,
               const TrainOptions& o, const std::vector<float>& params)
      : world_(world),
        backend_(backend),
        o_(o),
        parts_(std::move(parts)),
        dev_(*backend.device),
        stream_(*parts_->stream),
        net_(o.model, {dev_, stream_, *parts_->kernels, *parts_->gemm}, model::DeviceModelOptions{o.device_precision}),
        opt_(o.optimizer, net_.layout(), dev_, stream_, *parts_->kernels),
        elems_(static_cast<std::int64_t>(params.size())),
        params_(dev_, DType::kF32, Shape{elems_}),
        grads_(dev_, DType::kF32, Shape{elems_}),
        reducer_(dev_, stream_, std::move(parts_->reduce_stream), *backend.sp, *backend.dp, elems_,
                 o.grad_bucket_elems) {
    params_.upload(params.data(), stream_);
    stream_.synchronize();
  }

  std::size_t param_count() const override { return static_cast<std::size_t>(elems_); }

  void restore(const TrainState& s) override {
    params_.upload(s.params.data(), stream_);
    opt_.upload_moments(s.adam_m, s.adam_v);
    stream_.synchronize();  // the host vectors may go
  }

  void snapshot(TrainState& s) override {
    s.params.resize(static_cast<std::size_t>(elems_));
    params_.download(s.params.data(), stream_);
    opt_.download_moments(s.adam_m, s.adam_v);
    stream_.synchronize();
  }

  EngineStep step(const LocalTokens& t, float scale, std::int64_t step) override {
    upload_tokens(t);
    dev_.fill_zero(grads_.view(), stream_);
    model::RingAttentionFn& attention = attention_for(t);
    reducer_.begin(grads_.view());
    const model::StepLoss sl =
        net_.forward_backward(params_.view(), shard(t), attention, scale, grads_.view(),
                              [this](std::int64_t first, std::int64_t elems) { reducer_.ready(first, elems); });
    // The model stream waits for the world's sums before the optimizer's work.
    EngineStep r;
    r.exposed_grad_reduce_seconds = reducer_.finish();
    r.grad_buckets = reducer_.buckets_last_step();
    r.loss_sum = all_reduce_scalar(world_, sl.loss_sum, comm::ReduceOp::kSum);
    r.stats = opt_.update(params_.view(), grads_.view(), step);
    return r;
  }

  void logits(const LocalTokens& t, std::vector<float>& out) override {
    upload_tokens(t);
    device::DeviceTensor logits(dev_, DType::kF32, Shape{t.n, o_.model.vocab});
    model::RingAttentionFn& attention = attention_for(t);
    net_.forward_logits(params_.view(), shard(t), attention, logits.view());
    out.resize(static_cast<std::size_t>(t.n * o_.model.vocab));
    logits.download(out.data(), stream_);
    stream_.synchronize();
  }

  std::int64_t activation_bytes_per_token() const override { return net_.activation_bytes_per_token(); }

 private:
  // This rank's tokens in device memory (kept while the shard's size stays).
  struct Tokens {
    device::DeviceTensor tokens, targets, positions, segments;
    std::int64_t n = -1;
  };

  void upload_tokens(const LocalTokens& t) {
    if (tokens_.n != t.n) {
      const Shape s{t.n};
      tokens_.tokens = device::DeviceTensor(dev_, DType::kI32, s);
      tokens_.targets = device::DeviceTensor(dev_, DType::kI32, s);
      tokens_.positions = device::DeviceTensor(dev_, DType::kI32, s);
      tokens_.segments = device::DeviceTensor(dev_, DType::kI32, s);
      tokens_.n = t.n;
    }
    tokens_.tokens.upload(t.tokens.data(), stream_);
    tokens_.targets.upload(t.targets.data(), stream_);
    tokens_.positions.upload(t.positions.data(), stream_);
    tokens_.segments.upload(t.segments.data(), stream_);
    // `t` outlives the call, whose forward waits for the stream (or which synchronizes).
  }

  model::DeviceTokenShard shard(const LocalTokens& t) {
    return {tokens_.tokens.view().data<std::int32_t>(), tokens_.targets.view().data<std::int32_t>(),
            tokens_.positions.view().data<std::int32_t>(), t.n};
  }

  // One ring (its device buffers and bf16 copies) for every step and evaluation of the
  // same token count, as the host engine keeps one: the next tokens regather the schedule
  // (collective either way); another count frees it before the new one allocates. After
  // upload_tokens: the device metadata it reads is tokens_'s, reallocated only when the
  // count changes.
  model::RingAttentionFn& attention_for(const LocalTokens& t) {
    const model::RingTokenMeta device{tokens_.positions.view().data<std::int32_t>(),
                                      tokens_.segments.view().data<std::int32_t>()};
    const model::RingTokenMeta host{t.positions.data(), t.segments.data()};
    if (attention_ && attention_->tokens() == t.n) {
      attention_->set_tokens(device, host);
    } else {
      attention_.reset();
      const model::RingAttentionOptions options{model::AttentionStorage::kBF16, parts_->kernels, &stream_};
      attention_ = std::make_unique<model::RingAttentionFn>(backend_.context(), o_.model, device, host, t.n, options);
    }
    return *attention_;
  }

  comm::Communicator& world_;
  ring::Backend& backend_;
  const TrainOptions& o_;
  std::unique_ptr<model::DeviceModelParts> parts_;
  device::Device& dev_;
  device::Stream& stream_;
  model::DeviceTransformer net_;
  DeviceAdamW opt_;
  std::int64_t elems_;
  device::DeviceTensor params_, grads_;
  GradientReducer reducer_;  // after grads_: drains its reductions before they go
  Tokens tokens_;
  std::unique_ptr<model::RingAttentionFn> attention_;  // after tokens_: reads their device copies
};

}  // namespace

std::unique_ptr<Engine> make_device_engine(comm::Communicator& world, ring::Backend& backend,
                                           std::unique_ptr<model::DeviceModelParts> parts, const TrainOptions& o,
                                           const std::vector<float>& params) {
  return std::make_unique<DeviceEngine>(world, backend, std::move(parts), o, params);
}

}  // namespace ra::train

#include <algorithm>
#include <chrono>
#include <memory>

#include "runtime/model/ring_attention_fn.h"
#include "runtime/model/transformer.h"
#include "runtime/train/engine.h"

namespace ra::train {
namespace {

// Transformer<float> and AdamW on host vectors (the cpu backend).
class HostEngine final : public Engine {
 public:
  HostEngine(comm::Communicator& world, ring::Backend& backend, const TrainOptions& o, std::vector<float> params)
      : world_(world),
        backend_(backend),
        o_(o),
        net_(o.model),
        opt_(o.optimizer, net_.layout()),
        params_(std::move(params)),
        grads_(params_.size(), 0.0f) {}

  std::size_t param_count() const override { return params_.size(); }

  void restore(const TrainState& s) override {
    params_ = s.params;
    opt_.m() = s.adam_m;
    opt_.v() = s.adam_v;
  }

  void snapshot(TrainState& s) override {
    s.params = params_;
    s.adam_m = opt_.m_copy();
    s.adam_v = opt_.v_copy();
  }

  EngineStep step(const LocalTokens& t, float scale, std::int64_t step) override {
    std::fill(grads_.begin(), grads_.end(), 0.0f);
    const model::StepLoss sl = net_.forward_backward(
        params_, {t.tokens.data(), t.targets.data(), t.positions.data(), t.n}, attention_for(t), scale, grads_);
    // One blocking all-reduce after the backward: none of it is hidden.
    const auto t0 = std::chrono::steady_clock::now();
    world_.all_reduce(TensorView(grads_.data(), DType::kF32, Shape{static_cast<std::int64_t>(grads_.size())}),
                      comm::ReduceOp::kSum);
    EngineStep r;
    r.exposed_grad_reduce_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.grad_buckets = world_.size() > 1 ? 1 : 0;
    r.loss_sum = all_reduce_scalar(world_, sl.loss_sum, comm::ReduceOp::kSum);
    r.stats = opt_.update(params_, grads_, step);
    return r;
  }

  void logits(const LocalTokens& t, std::vector<float>& out) override {
    net_.forward_logits(params_, {t.tokens.data(), t.targets.data(), t.positions.data(), t.n}, attention_for(t), out);
  }

  std::int64_t activation_bytes_per_token() const override { return net_.activation_bytes_per_token(); }

 private:
  // One ring for every step and evaluation of the same token count, its buffers kept
  // (like the model's workspace: fresh ones each step cost page faults); another count
  // frees it before the new one allocates. Every rank decides alike (the counts are the
  // group's), and both paths gather the new tokens' schedule collectively.
  model::RingAttentionFn& attention_for(const LocalTokens& t) {
    if (attention_ && attention_->tokens() == t.n) {
      attention_->set_tokens(t.positions.data(), t.segments.data());
    } else {
      attention_.reset();
      attention_ = std::make_unique<model::RingAttentionFn>(backend_.context(), o_.model, t.positions.data(),
                                                            t.segments.data(), t.n);
    }
    return *attention_;
  }

  comm::Communicator& world_;
  ring::Backend& backend_;
  const TrainOptions& o_;
  model::Transformer<float> net_;
  AdamW opt_;
  std::vector<float> params_, grads_;
  std::unique_ptr<model::RingAttentionFn> attention_;
};

}  // namespace

std::unique_ptr<Engine> make_host_engine(comm::Communicator& world, ring::Backend& backend, const TrainOptions& o,
                                         std::vector<float> params) {
  return std::make_unique<HostEngine>(world, backend, o, std::move(params));
}

}  // namespace ra::train

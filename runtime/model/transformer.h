// The decoder-only transformer on one rank's tokens (pre-norm; RMSNorm; attention with
// RoPE, ALiBi or no positions, GQA/MQA; SwiGLU MLP; tied or untied embeddings):
//
//   x₀ = E[token]
//   per layer:  a = RMSNorm(x; g₁)   q,k,v = a·W{q,k,v}ᵀ   (RoPE on q, k at global positions)
//               y = x + Attention(q, k, v)·Woᵀ
//               b = RMSNorm(y; g₂)   x' = y + (silu(b·W₁ᵀ) ∘ b·W₃ᵀ)·W₂ᵀ
//   logits = RMSNorm(x_L; g)·Headᵀ    (Head = E when tied)
//
// Activation recomputation: the forward keeps only each layer's input x_l ([n, d] per
// layer); the backward recomputes one layer at a time (attention forward included), so
// memory per token is (layers + 1)·d + one layer's working set + the head's
// (activation_bytes_per_token). These buffers are the model's workspace, kept from one
// call to the next (a step of 2^19 tokens per rank holds 5 GiB of them: allocated fresh
// each step, their first touch cost the kernel seconds of page faults per step).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"
#include "runtime/model/params.h"

namespace ra::model {

// This rank's tokens of a batch: token ids, targets (−1: no loss) and global positions.
struct TokenShard {
  const std::int32_t* tokens = nullptr;
  const std::int32_t* targets = nullptr;
  const std::int32_t* positions = nullptr;
  std::int64_t n = 0;
};

struct StepLoss {
  double loss_sum = 0;          // Σ −log p(target) over this rank's tokens with a target
  std::int64_t valid_rows = 0;  // how many such tokens
};

// Transformer<T>::activation_bytes_per_token for elements of `elem_bytes`, without a model
// (the memory model of runtime/plan asks before anything is built).
std::int64_t host_activation_bytes_per_token(const ModelConfig& config, std::int64_t elem_bytes);

// The work of one forward_backward per token besides attention, for the time model of a
// host training step (runtime/plan/step_plan.h):
//   gemm_flops         every layer's GEMMs forward, recomputed and backward (dx and dW:
//                      4 × the forward's 2·(d·(qf + 2kf) + qf·d + 3·d·hidden)), the head's
//                      forward and backward (3 × 2·d·vocab);
//   elementwise_elems  the elements the other functions pass over, one per element each:
//                      per layer 3 × (two norms, two residual copies, SwiGLU, RoPE on q
//                      and k) — the forward, its recomputation and the backward — and the
//                      final norm, cross-entropy and embedding, forward and backward.
// Their time: GEMM FLOPs at the machine's GEMM rate, elements at a calibrated cost per
// element (`ringattn calibrate` times this code).
struct HostStepWork {
  double gemm_flops_per_token = 0;
  double elementwise_elems_per_token = 0;
};
HostStepWork host_step_work(const ModelConfig& config);

template <typename T>
class Transformer {
 public:
  explicit Transformer(const ModelConfig& config);
  ~Transformer();
  Transformer(Transformer&&) noexcept;
  Transformer& operator=(Transformer&&) noexcept;

  const ModelConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }

  // Forward and backward of one shard: returns this rank's loss sum and count, and adds
  // ∂(Σ loss · loss_scale)/∂params into grads. loss_scale = 1 / (valid tokens of all
  // ranks) makes the all-reduced gradients those of the global mean.
  StepLoss forward_backward(const std::vector<T>& params, const TokenShard& shard, AttentionFn<T>& attention,
                            T loss_scale, std::vector<T>& grads);

  // Forward only: logits [n, vocab] of the shard (evaluation, passkey accuracy).
  void forward_logits(const std::vector<T>& params, const TokenShard& shard, AttentionFn<T>& attention,
                      std::vector<T>& logits);

  // Bytes of activations per token kept or live at once (f32/f64 elements × size).
  std::int64_t activation_bytes_per_token() const;

 private:
  struct LayerWork;
  struct Workspace;
  void layer_forward(const T* params, const T* x, const TokenShard& shard, AttentionFn<T>& attention, LayerWork& w,
                     std::int64_t l, T* x_out);
  void layer_backward(const T* params, const T* x, const TokenShard& shard, AttentionFn<T>& attention, LayerWork& w,
                      std::int64_t l, T* dx, T* grads);
  void final_logits(const T* params, const T* x_last, std::int64_t n, std::vector<T>& h, std::vector<T>& r,
                    std::vector<T>& logits);

  ModelConfig config_;
  ParamLayout layout_;
  std::unique_ptr<Workspace> work_;  // the activations, reused call after call
};

}  // namespace ra::model

// AdamW on fp32 master weights (the model's parameters are fp32 themselves), with a
// cosine learning-rate schedule after a linear warm-up and clipping of the global
// gradient norm. Every rank holds the same parameters and, after the all-reduce, the
// same gradients, so every rank takes the same step (bitwise).
//
//   g   ← g · min(1, clip / ‖g‖₂)                                 (clip > 0)
//   m   ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²
//   m̂  = m / (1 − β₁ᵗ),        v̂ = v / (1 − β₂ᵗ)
//   θ   ← θ − lr_t · (m̂ / (√v̂ + ε) + λ θ)                        (λ only on matrices)
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/model/params.h"

namespace ra::train {

struct AdamWOptions {
  double peak_lr = 3e-3;
  double min_lr = 3e-4;
  std::int64_t warmup_steps = 50;
  std::int64_t total_steps = 1000;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;
  double grad_clip = 1.0;  // max global L2 norm; 0: no clipping
};

// lr at step t (0-based): t·peak/warmup for t < warmup, then cosine from peak to min_lr
// at total_steps.
double learning_rate(const AdamWOptions& o, std::int64_t step);

struct StepStats {
  double grad_norm = 0;  // before clipping
  double lr = 0;
};

class AdamW {
 public:
  AdamW(const AdamWOptions& options, const model::ParamLayout& layout);

  // One update of params from grads (grads are clipped in place). `step` is the number
  // of updates done before this one (0 for the first).
  StepStats update(std::vector<float>& params, std::vector<float>& grads, std::int64_t step);

  // The optimizer state, for checkpoints: first and second moments.
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  std::vector<float> m_copy() const { return m_; }
  std::vector<float> v_copy() const { return v_; }

 private:
  AdamWOptions o_;
  std::vector<float> m_, v_;
  std::vector<std::uint8_t> decay_;  // 1 where weight decay applies (matrices)
};

}  // namespace ra::train

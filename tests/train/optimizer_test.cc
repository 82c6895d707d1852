// AdamW against an f64 re-derivation of the update rule, the learning-rate schedule at
// its corners, clipping, and weight decay only on matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/train/optimizer.h"

namespace ra::train {
namespace {

model::ModelConfig tiny() {
  model::ModelConfig c;
  c.vocab = 5;
  c.d_model = 4;
  c.layers = 1;
  c.heads = 2;
  c.kv_heads = 1;
  c.head_dim = 2;
  c.mlp_hidden = 6;
  return c;
}

TEST(LearningRate, WarmupThenCosineToTheMinimum) {
  AdamWOptions o;
  o.peak_lr = 1.0;
  o.min_lr = 0.1;
  o.warmup_steps = 10;
  o.total_steps = 110;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10), 1.0);
  EXPECT_NEAR(learning_rate(o, 60), 0.55, 1e-12) << "half way: the mean of peak and min";
  EXPECT_NEAR(learning_rate(o, 110), 0.1, 1e-12);
  EXPECT_NEAR(learning_rate(o, 500), 0.1, 1e-12) << "after the schedule: the minimum";
}

TEST(AdamW, MatchesTheUpdateRuleInF64) {
  const model::ParamLayout layout(tiny());
  AdamWOptions o;
  o.grad_clip = 0;
  o.warmup_steps = 2;
  o.total_steps = 10;
  AdamW opt(o, layout);
  const auto n = static_cast<std::size_t>(layout.total_elems());
  std::vector<float> p(n), g(n);
  std::vector<double> p64(n), m64(n, 0), v64(n, 0);
  for (std::size_t i = 0; i < n; ++i) p64[i] = p[i] = 0.01f * static_cast<float>(i % 17) - 0.05f;
  for (std::int64_t step = 0; step < 4; ++step) {
    for (std::size_t i = 0; i < n; ++i) g[i] = 0.1f * std::sin(static_cast<float>(i + 3 * step));
    std::vector<float> g_copy = g;
    opt.update(p, g_copy, step);
    const double lr = learning_rate(o, step), t = static_cast<double>(step + 1);
    for (const model::ParamSlice& s : layout.slices()) {
      for (std::int64_t k = s.offset_elems; k < s.offset_elems + s.elems(); ++k) {
        const auto i = static_cast<std::size_t>(k);
        m64[i] = o.beta1 * m64[i] + (1 - o.beta1) * g[i];
        v64[i] = o.beta2 * v64[i] + (1 - o.beta2) * g[i] * g[i];
        const double mh = m64[i] / (1 - std::pow(o.beta1, t)), vh = v64[i] / (1 - std::pow(o.beta2, t));
        p64[i] -= lr * (mh / (std::sqrt(vh) + o.eps) + (s.cols > 1 ? o.weight_decay * p64[i] : 0.0));
      }
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(p[i], p64[i], 1e-6) << "step " << step << " element " << i;
  }
}

TEST(AdamW, ClipsTheGlobalNorm) {
  const model::ParamLayout layout(tiny());
  AdamWOptions o;
  o.grad_clip = 0.5;
  AdamW opt(o, layout);
  std::vector<float> p(static_cast<std::size_t>(layout.total_elems()), 0.0f), g(p.size(), 1.0f);
  const StepStats st = opt.update(p, g, 0);
  EXPECT_NEAR(st.grad_norm, std::sqrt(static_cast<double>(p.size())), 1e-9);
  double sq = 0;
  for (float x : g) sq += static_cast<double>(x) * x;
  EXPECT_NEAR(std::sqrt(sq), 0.5, 1e-6) << "gradients scaled to the clip norm";
}

}  // namespace
}  // namespace ra::train

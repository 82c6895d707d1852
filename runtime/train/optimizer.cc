#include "runtime/train/optimizer.h"

#include <cmath>

#include "runtime/core/check.h"

namespace ra::train {

double learning_rate(const AdamWOptions& o, std::int64_t step) {
  if (step < o.warmup_steps) return o.peak_lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const std::int64_t span = o.total_steps - o.warmup_steps;
  if (span <= 0) return o.peak_lr;
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(span));
  return o.min_lr + 0.5 * (o.peak_lr - o.min_lr) * (1.0 + std::cos(3.141592653589793 * progress));
}

AdamW::AdamW(const AdamWOptions& options, const model::ParamLayout& layout) : o_(options) {
  RA_CHECK(UsageError, o_.beta1 >= 0 && o_.beta1 < 1 && o_.beta2 >= 0 && o_.beta2 < 1, "AdamW betas must be in [0, 1)");
  const auto n = static_cast<std::size_t>(layout.total_elems());
  m_.assign(n, 0.0f);
  v_.assign(n, 0.0f);
  decay_.assign(n, 0);
  // Decay matrices only: norm gains (vectors) are scales, not weights to shrink.
  for (const model::ParamSlice& s : layout.slices())
    if (s.cols > 1) std::fill_n(decay_.begin() + s.offset_elems, s.elems(), std::uint8_t{1});
}

StepStats AdamW::update(std::vector<float>& params, std::vector<float>& grads, std::int64_t step) {
  StepStats st;
  double sq = 0;
  for (float g : grads) sq += static_cast<double>(g) * g;
  st.grad_norm = std::sqrt(sq);
  if (o_.grad_clip > 0 && st.grad_norm > o_.grad_clip) {
    const auto s = static_cast<float>(o_.grad_clip / st.grad_norm);
    for (float& g : grads) g *= s;
  }
  st.lr = learning_rate(o_, step);
  const double t = static_cast<double>(step + 1);
  const auto c1 = static_cast<float>(1.0 / (1.0 - std::pow(o_.beta1, t)));
  const auto c2 = static_cast<float>(1.0 / (1.0 - std::pow(o_.beta2, t)));
  const auto b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2), eps = static_cast<float>(o_.eps);
  const auto lr = static_cast<float>(st.lr), wd = static_cast<float>(o_.weight_decay);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const float g = grads[i];
    m_[i] = b1 * m_[i] + (1.0f - b1) * g;
    v_[i] = b2 * v_[i] + (1.0f - b2) * g * g;
    const float update = (m_[i] * c1) / (std::sqrt(v_[i] * c2) + eps) + (decay_[i] ? wd * params[i] : 0.0f);
    params[i] -= lr * update;
  }
  return st;
}

}  // namespace ra::train

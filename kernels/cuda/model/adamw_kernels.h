// The AdamW update (runtime/train/optimizer.h), one thread per parameter:
//   g = grad · clip_scale
//   m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g·g
//   θ ← θ − lr · ((m·c₁) / (√(v·c₂) + ε) + [decay]·λ·θ)
// in runtime/train/optimizer.cc's f32 operations and order, with its scalars rounded on
// the host the same way (model_grid.h: adamw_scalars); the clip factor comes from the
// device (reduce_kernels.h: the gradient's sum of squares, then clip_factor_kernel), so a
// step never waits on the host. Without clipping the factor is exactly 1 and g = grad.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/model/device_util.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_GLOBAL void adamw_update_kernel(AdamWParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.elems) return;
  const AdamWScalars& s = p.s;
  const float g = p.grads[e] * *p.clip_scale;
  const float m = s.beta1 * p.m[e] + (1.0f - s.beta1) * g;
  const float v = s.beta2 * p.v[e] + (1.0f - s.beta2) * g * g;
  p.m[e] = m;
  p.v[e] = v;
  const float theta = p.params[e];
  const float update = (m * s.bias_correction1) / (sqrtf(v * s.bias_correction2) + s.eps) +
                       (p.decay_mask[e] ? s.weight_decay * theta : 0.0f);
  p.params[e] = theta - s.lr * update;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

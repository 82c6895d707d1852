// Rotary position embedding (runtime/model/rope.h): pairs (x_i, x_{i+D/2}), i < D/2, of
// every head rotate by angle(p, i) = sign · (p · position_scale) · θ_i,
// θ_i = effective_base^(−2i/D); the inverse (backward) rotates by −angle:
//   x_i' = x_i·cos − x_{i+D/2}·sin,   x_{i+D/2}' = x_i·sin + x_{i+D/2}·cos.
// The three scaling modes are folded into effective_base and position_scale on the host
// (model_grid.h: rope_constants). The angle, cos and sin are computed in double as on the
// CPU: positions reach 2^20 and beyond, where an f32 angle is off by radians. One thread
// per (row, pair) computes them once and rotates that pair in every head.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/model/device_util.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

template <typename T>
RA_GLOBAL void rope_kernel(RopeParams p) {
  const std::int64_t half = p.head_elems / 2;
  const std::int64_t e = global_thread_index();
  if (e >= p.n_rows * half) return;
  const std::int64_t t = e / half, i = e % half;
  const double theta = pow(p.effective_base, -2.0 * static_cast<double>(i) / static_cast<double>(p.head_elems));
  const double sign = p.direction == RopeKernelDirection::kForward ? 1.0 : -1.0;
  const double pos = static_cast<double>(p.positions[t]) * p.position_scale;
  const double angle = sign * pos * theta;
  const auto c = static_cast<float>(cos(angle)), s = static_cast<float>(sin(angle));
  T* const x = storage_as<T>(p.x);
  for (std::int64_t h = 0; h < p.heads; ++h) {
    T* const row = x + (t * p.heads + h) * p.head_elems;
    const float a = to_f32(row[i]), b = to_f32(row[i + half]);
    row[i] = from_f32<T>(a * c - b * s);
    row[i + half] = from_f32<T>(a * s + b * c);
  }
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

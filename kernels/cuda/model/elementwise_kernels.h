// The model's element-wise kernels, one thread per element, fp32 math on any storage:
//   SwiGLU forward   h = silu(a)·b,  silu(a) = a·σ(a),  σ(a) = 1/(1 + e^(−a))
//   SwiGLU backward  da = dh·b·σ(a)·(1 + a·(1 − σ(a))),  db = dh·a·σ(a)
//   residual add     y = x + r
//   axpy             y += α·x   (into an fp32 accumulator)
// The expressions are written in runtime/model/layers.cc's order; on a GPU nvcc may fuse
// multiply-adds and its expf differs from libm by an ulp or two: the numerics policy,
// not bitwise equality, holds them to the CPU.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/model/device_util.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_DEVICE float sigmoid_f32(float a) { return 1.0f / (1.0f + expf(-a)); }

template <typename T>
RA_GLOBAL void swiglu_forward_kernel(SwigluForwardParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.elems) return;
  const float a = to_f32(storage_as<T>(p.a)[e]), b = to_f32(storage_as<T>(p.b)[e]);
  storage_as<T>(p.h)[e] = from_f32<T>(a * sigmoid_f32(a) * b);
}

template <typename T>
RA_GLOBAL void swiglu_backward_kernel(SwigluBackwardParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.elems) return;
  const float a = to_f32(storage_as<T>(p.a)[e]), b = to_f32(storage_as<T>(p.b)[e]);
  const float dh = to_f32(storage_as<T>(p.dh)[e]);
  const float s = sigmoid_f32(a);
  storage_as<T>(p.da)[e] = from_f32<T>(dh * b * s * (1.0f + a * (1.0f - s)));
  storage_as<T>(p.db)[e] = from_f32<T>(dh * a * s);
}

template <typename T>
RA_GLOBAL void residual_add_kernel(ResidualAddParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.elems) return;
  storage_as<T>(p.y)[e] = from_f32<T>(to_f32(storage_as<T>(p.x)[e]) + to_f32(storage_as<T>(p.r)[e]));
}

template <typename T>
RA_GLOBAL void axpy_kernel(AxpyParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.elems) return;
  p.y[e] += p.alpha * to_f32(storage_as<T>(p.x)[e]);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// Loads and stores of the storage dtypes (fp32, bf16, fp16) as fp32, for device code
// (nvcc) and the emulator alike. Conversions round to nearest even.
#pragma once

#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_DEVICE float to_f32(float x) { return x; }
RA_DEVICE float to_f32(__nv_bfloat16 x) { return __bfloat162float(x); }
RA_DEVICE float to_f32(__half x) { return __half2float(x); }

template <typename T>
RA_DEVICE T from_f32(float x);
template <>
RA_DEVICE float from_f32<float>(float x) {
  return x;
}
template <>
RA_DEVICE __nv_bfloat16 from_f32<__nv_bfloat16>(float x) {
  return __float2bfloat16(x);
}
template <>
RA_DEVICE __half from_f32<__half>(float x) {
  return __float2half(x);
}

// An untyped tensor of a params struct (attention_params.h, row_params.h) as the
// instance's storage type T: the one place the kernels turn untyped pointers into typed ones.
template <typename T>
RA_DEVICE const T* storage_as(const void* p) {
  return static_cast<const T*>(p);
}
template <typename T>
RA_DEVICE T* storage_as(void* p) {
  return static_cast<T*>(p);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

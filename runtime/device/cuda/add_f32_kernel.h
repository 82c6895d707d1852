// The dst += src kernel in portable form (kernels/cuda/portable.h): nvcc compiles it in
// add_kernel.cu; the SIMT emulator runs the same source in tests/simt.
#pragma once

#include <cstdint>

#include "kernels/cuda/portable.h"

namespace ra::device::cuda::kernels {

// A grid-stride loop, so any grid covers all n_elems.
RA_GLOBAL void add_f32(float* __restrict__ dst, const float* __restrict__ src, std::int64_t n_elems) {
  const std::int64_t stride = static_cast<std::int64_t>(blockDim.x) * gridDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n_elems; i += stride) {
    dst[i] += src[i];
  }
}

}  // namespace ra::device::cuda::kernels

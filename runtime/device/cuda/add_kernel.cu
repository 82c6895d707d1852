#include <cstdint>

#include "runtime/device/cuda/add_kernel.h"

namespace ra::device::cuda {
namespace {

__global__ void add_f32(float* __restrict__ dst, const float* __restrict__ src, std::int64_t n_elems) {
  const std::int64_t stride = static_cast<std::int64_t>(blockDim.x) * gridDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n_elems; i += stride) {
    dst[i] += src[i];
  }
}

}  // namespace

const void* add_f32_kernel() { return reinterpret_cast<const void*>(&add_f32); }

}  // namespace ra::device::cuda

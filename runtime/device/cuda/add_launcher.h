// Enqueues dst[i] += src[i] (f32, device memory) on a CUDA stream.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ra::device::cuda {

void launch_add_f32(float* dst, const float* src, std::int64_t n_elems, cudaStream_t stream);

}  // namespace ra::device::cuda

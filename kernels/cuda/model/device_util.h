// Small device helpers the model kernels share: the 1-D global thread index and the NaN
// a kernel writes for an input that breaks its contract.
#pragma once

#include <cstdint>

#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

// blockIdx.x·blockDim.x + threadIdx.x in 64 bits (element counts pass 2^31).
RA_DEVICE std::int64_t global_thread_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// A quiet NaN in device and host code alike (std::numeric_limits is host-only for nvcc),
// so a contract violation (a token id outside the vocabulary) shows in the loss.
RA_DEVICE float model_quiet_nan() { return __builtin_nanf(""); }

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

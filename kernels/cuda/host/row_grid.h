// The launch grid of the per-row kernels: one thread per (query row, head). Host-side
// argument logic, a pure function tested on the CPU (tests/cuda_host).
#pragma once

#include <cstdint>

#include "kernels/cuda/row_params.h"

namespace ra::kernels::cuda {

struct RowGrid {
  std::uint32_t blocks = 0;  // 0: no rows, launch nothing
  std::uint32_t threads_per_block = 0;
};

inline constexpr std::uint32_t kRowThreadsPerBlock = 128;

// Throws ra::UsageError when the rows exceed a 1-D grid (2^31 − 1 blocks).
RowGrid row_grid(const RowShape& shape);

}  // namespace ra::kernels::cuda

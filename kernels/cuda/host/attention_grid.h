// Launch configuration of the tiled attention kernels: grid, threads and dynamic shared
// memory from the problem shape and tile_config.h. Host-side argument logic, a pure
// function tested on the CPU (tests/cuda_host).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/attention_params.h"

namespace ra::kernels::cuda {

enum class AttentionKernel : std::uint8_t { kForward, kBackwardDkDv, kBackwardDq };

struct AttentionGrid {
  std::uint32_t blocks_x = 0;  // tiles along the tokens the kernel owns; 0: launch nothing
  std::uint32_t blocks_y = 0;  // heads (query heads; kv heads for dK/dV)
  std::uint32_t threads = 0;
  std::size_t shared_bytes = 0;
};

// Throws ra::UsageError for a head dim without kernels, shapes the kernels do not take
// (hq % hkv != 0, negative sizes) or a grid beyond the CUDA limits. The tiles, and so
// the grid and shared memory, depend on the product precision (tile_config.h).
AttentionGrid attention_grid(AttentionKernel kernel, const AttnShape& shape, MmaPrecision precision);

const char* attention_kernel_name(AttentionKernel kernel);

// Throws ra::UsageError when a launch needs more dynamic shared memory per block than the
// device allows with the opt-in (e.g. 99 KiB on sm_86/sm_89 GPUs against sm_80's 163 KiB),
// naming both figures and what to change, before anything is launched.
void check_shared_memory_fits(AttentionKernel kernel, std::size_t needed_bytes, std::size_t device_limit_bytes,
                              std::int32_t head_dim);

}  // namespace ra::kernels::cuda

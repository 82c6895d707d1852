// Launch geometry of the elementwise kernels (add_f32): a pure function, so the
// arithmetic that decides which elements get a thread is tested on CPU.
#pragma once

#include <cstdint>

namespace ra::device::cuda {

struct LaunchGrid {
  int blocks = 0;  // 0: nothing to do, launch nothing (a 0-block launch is an error)
  int threads_per_block = 0;
};

// 256 threads a block: full occupancy on sm_80/sm_90 for a kernel this small.
inline constexpr int kElementwiseThreadsPerBlock = 256;
// Past this many blocks the kernel's grid-stride loop covers the rest: 8192 blocks of
// 256 threads keep every SM of an H100 (132 SMs x 2048 threads) busy several times over,
// and no element count can overflow gridDim.x.
inline constexpr int kElementwiseMaxBlocks = 8192;

// One thread per element, up to kElementwiseMaxBlocks blocks. Throws ra::InternalError
// for a negative count.
LaunchGrid elementwise_grid(std::int64_t n_elems);

}  // namespace ra::device::cuda

#include "runtime/device/cuda/host/launch_grid.h"

#include <algorithm>

#include "runtime/core/check.h"

namespace ra::device::cuda {

LaunchGrid elementwise_grid(std::int64_t n_elems) {
  RA_CHECK_GE(InternalError, n_elems, 0, "elementwise kernel element count");
  const std::int64_t per_block = kElementwiseThreadsPerBlock;
  const std::int64_t blocks = std::min<std::int64_t>((n_elems + per_block - 1) / per_block, kElementwiseMaxBlocks);
  return LaunchGrid{static_cast<int>(blocks), kElementwiseThreadsPerBlock};
}

}  // namespace ra::device::cuda

#include "runtime/device/cuda/host/launch_grid.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/core/error.h"

namespace ra::device::cuda {
namespace {

TEST(ElementwiseGrid, EmptyLaunchesNothing) {
  const LaunchGrid g = elementwise_grid(0);
  EXPECT_EQ(g.blocks, 0);
}

TEST(ElementwiseGrid, OneThreadPerElementUpToTheCap) {
  struct Case {
    std::int64_t n_elems;
    int blocks;
  };
  // Expected blocks = ceil(n / 256), at most 8192, worked out by hand.
  const std::vector<Case> cases = {
      {1, 1},
      {255, 1},
      {256, 1},
      {257, 2},
      {1000, 4},
      {1024, 4},
      {1025, 5},
      {2097152, 8192},  // 256 * 8192: exactly the cap
      {2097153, 8192},  // one more element: the grid-stride loop takes it
      {std::int64_t{1} << 40, 8192},
  };
  for (const Case& c : cases) {
    const LaunchGrid g = elementwise_grid(c.n_elems);
    EXPECT_EQ(g.blocks, c.blocks) << "n_elems " << c.n_elems;
    EXPECT_EQ(g.threads_per_block, 256) << "n_elems " << c.n_elems;
  }
}

TEST(ElementwiseGrid, NegativeCountIsAnInternalError) { EXPECT_THROW(elementwise_grid(-1), InternalError); }

// Runs the kernel's index walk (i = block*threads + thread; i += blocks*threads) on
// the CPU: every element must be visited exactly once.
std::vector<int> visits(std::int64_t n_elems) {
  const LaunchGrid g = elementwise_grid(n_elems);
  std::vector<int> seen(static_cast<std::size_t>(n_elems), 0);
  const std::int64_t stride = std::int64_t{g.blocks} * g.threads_per_block;
  for (std::int64_t b = 0; b < g.blocks; ++b) {
    for (std::int64_t t = 0; t < g.threads_per_block; ++t) {
      for (std::int64_t i = b * g.threads_per_block + t; i < n_elems; i += stride) ++seen[static_cast<std::size_t>(i)];
    }
  }
  return seen;
}

TEST(ElementwiseGrid, GridStrideLoopCoversEveryElementOnce) {
  for (std::int64_t n : {std::int64_t{1}, std::int64_t{7}, std::int64_t{256}, std::int64_t{1000}, std::int64_t{2097152},
                         std::int64_t{2097152 + 3}, std::int64_t{3 * 2097152 + 11}}) {
    const std::vector<int> seen = visits(n);
    for (std::size_t i = 0; i < seen.size(); ++i) {
      ASSERT_EQ(seen[i], 1) << "element " << i << " of " << n;
    }
  }
}

}  // namespace
}  // namespace ra::device::cuda

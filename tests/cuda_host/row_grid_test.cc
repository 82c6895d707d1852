// The launch grid of the per-row kernels covers every (row, head) exactly once with
// whole blocks, launches nothing for no rows, and refuses grids a GPU cannot launch.
#include <gtest/gtest.h>

#include "kernels/cuda/host/row_grid.h"
#include "runtime/core/error.h"

namespace ra::kernels::cuda {
namespace {

TEST(RowGrid, CoversEveryRowWithWholeBlocks) {
  for (std::int32_t lq : {1, 7, 127, 128, 129, 4096}) {
    for (std::int32_t hq : {1, 3, 8}) {
      const RowGrid g = row_grid({lq, hq, 64});
      const std::int64_t rows = static_cast<std::int64_t>(lq) * hq;
      EXPECT_EQ(g.threads_per_block, kRowThreadsPerBlock);
      EXPECT_GE(static_cast<std::int64_t>(g.blocks) * g.threads_per_block, rows);
      EXPECT_LT(static_cast<std::int64_t>(g.blocks - 1) * g.threads_per_block, rows) << "no empty block";
    }
  }
}

TEST(RowGrid, NothingToDoAndTooLarge) {
  EXPECT_EQ(row_grid({0, 8, 64}).blocks, 0u);
  EXPECT_EQ(row_grid({16, 0, 64}).blocks, 0u);
  EXPECT_THROW(row_grid({-1, 8, 64}), UsageError);
  EXPECT_THROW(row_grid({2147483647, 1024, 64}), UsageError);
}

}  // namespace
}  // namespace ra::kernels::cuda

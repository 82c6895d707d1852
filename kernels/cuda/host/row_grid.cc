#include "kernels/cuda/host/row_grid.h"

#include "runtime/core/check.h"

namespace ra::kernels::cuda {

RowGrid row_grid(const RowShape& shape) {
  RA_CHECK_GE(UsageError, shape.lq, 0, "query rows");
  RA_CHECK_GE(UsageError, shape.hq, 0, "query heads");
  const std::int64_t rows = static_cast<std::int64_t>(shape.lq) * shape.hq;
  if (rows == 0) return {};
  const std::int64_t blocks = (rows + kRowThreadsPerBlock - 1) / kRowThreadsPerBlock;
  RA_CHECK_LE(UsageError, blocks, std::int64_t{2147483647}, "row kernels: rows ", rows, " need too many blocks");
  return {static_cast<std::uint32_t>(blocks), kRowThreadsPerBlock};
}

}  // namespace ra::kernels::cuda

#include "kernels/cuda/host/model_grid.h"

#include <algorithm>
#include <cmath>

#include "runtime/core/check.h"

namespace ra::kernels::cuda {

namespace {

constexpr std::int64_t kMaxGridX = 2147483647;
constexpr std::int64_t kMaxGridY = 65535;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::uint32_t pow2_threads(std::int64_t elems) {
  std::uint32_t t = 32;
  while (t < kModelMaxBlockThreads && static_cast<std::int64_t>(t) < elems) t *= 2;
  return t;
}

// A grid of blocks that reduce: one slot of dynamic shared memory per thread.
ModelGrid reducing(std::uint32_t blocks, std::uint32_t threads) {
  return {blocks, 1, threads, threads * kModelReduceSlotBytes};
}

}  // namespace

ModelGrid elementwise_grid(std::int64_t elems) {
  RA_CHECK_GE(UsageError, elems, 0, "model kernel elements");
  if (elems == 0) return {};
  const std::int64_t blocks = ceil_div(elems, kModelElementwiseThreads);
  RA_CHECK_LE(UsageError, blocks, kMaxGridX, "model kernels: ", elems, " elements need too many blocks");
  return {static_cast<std::uint32_t>(blocks), 1, kModelElementwiseThreads, 0};
}

ModelGrid row_block_grid(std::int64_t n_rows, std::int64_t row_elems) {
  RA_CHECK_GE(UsageError, n_rows, 0, "model kernel rows");
  RA_CHECK_GE(UsageError, row_elems, 0, "model kernel row elements");
  if (n_rows == 0) return {};
  RA_CHECK_LE(UsageError, n_rows, kMaxGridX, "model kernels: too many rows (one block per row)");
  return reducing(static_cast<std::uint32_t>(n_rows), pow2_threads(row_elems));
}

ModelGrid embedding_accumulate_grid(std::int64_t n_rows, std::int64_t row_elems) {
  RA_CHECK_GE(UsageError, n_rows, 0, "embedding rows");
  RA_CHECK_GE(UsageError, row_elems, 0, "embedding row elements");
  if (n_rows == 0 || row_elems == 0) return {};
  RA_CHECK_LE(UsageError, n_rows, kMaxGridX, "embedding backward: too many tokens");
  const std::uint32_t threads = pow2_threads(row_elems);
  const std::int64_t slices = ceil_div(row_elems, threads);
  RA_CHECK_LE(UsageError, slices, kMaxGridY, "embedding backward: rows of ", row_elems, " elements are too wide");
  return {static_cast<std::uint32_t>(n_rows), static_cast<std::uint32_t>(slices), threads, 0};
}

std::int64_t embedding_backward_workspace_elems(std::int64_t n_rows) {
  RA_CHECK_GE(UsageError, n_rows, 0, "embedding rows");
  return 2 * n_rows;  // next occurrence of each token, and whether it is the first
}

RmsNormBackwardGrid rmsnorm_backward_grid(std::int64_t n_rows, std::int64_t row_elems) {
  RA_CHECK_GE(UsageError, n_rows, 0, "RMSNorm rows");
  RA_CHECK_GE(UsageError, row_elems, 0, "RMSNorm row elements");
  RmsNormBackwardGrid g;
  if (n_rows == 0 || row_elems == 0) return g;
  g.rows_per_block = ceil_div(n_rows, std::min(n_rows, kRmsNormMaxPartialBlocks));
  g.rows = reducing(static_cast<std::uint32_t>(ceil_div(n_rows, g.rows_per_block)), pow2_threads(row_elems));
  g.columns = elementwise_grid(row_elems);
  return g;
}

std::int64_t rmsnorm_backward_workspace_elems(std::int64_t n_rows, std::int64_t row_elems) {
  const RmsNormBackwardGrid g = rmsnorm_backward_grid(n_rows, row_elems);
  return static_cast<std::int64_t>(g.rows.blocks_x) * row_elems;
}

ModelGrid rope_grid(std::int64_t n_rows, std::int64_t head_elems) {
  RA_CHECK_GE(UsageError, n_rows, 0, "RoPE rows");
  RA_CHECK(UsageError, head_elems >= 2 && head_elems % 2 == 0, "RoPE: head dim must be even and ≥ 2, got ", head_elems);
  return elementwise_grid(n_rows * (head_elems / 2));
}

RopeConstants rope_constants(RopeKernelScaling scaling, double base, double factor, std::int64_t head_elems) {
  RA_CHECK(UsageError, head_elems >= 2 && head_elems % 2 == 0, "RoPE: head dim must be even and ≥ 2, got ", head_elems);
  RA_CHECK(UsageError, base > 0, "RoPE: base must be > 0, got ", base);
  RA_CHECK(UsageError, factor > 0, "RoPE: scaling factor must be > 0, got ", factor);
  const auto d = static_cast<double>(head_elems);
  switch (scaling) {
    case RopeKernelScaling::kNone: return {base, 1.0};
    case RopeKernelScaling::kLinear: return {base, 1.0 / factor};
    case RopeKernelScaling::kNtk:
      RA_CHECK(UsageError, head_elems > 2, "RoPE: NTK scaling needs head dim > 2, got ", head_elems);
      return {base * std::pow(factor, d / (d - 2)), 1.0};
  }
  throw InternalError("RoPE: unknown scaling mode");
}

ReduceGrid reduce_grid(std::int64_t elems) {
  RA_CHECK_GE(UsageError, elems, 0, "reduction elements");
  ReduceGrid g;
  g.finish = reducing(1, kModelMaxBlockThreads);  // runs even for no elements: it writes {0, 0}
  if (elems == 0) return g;
  // At least 4 entries per thread of a block, and at most kModelMaxPartials blocks.
  g.chunk_elems = std::max<std::int64_t>(4 * kModelMaxBlockThreads, ceil_div(elems, kModelMaxPartials));
  g.partials = reducing(static_cast<std::uint32_t>(ceil_div(elems, g.chunk_elems)), kModelMaxBlockThreads);
  return g;
}

std::int64_t reduce_workspace_elems(std::int64_t elems) { return reduce_grid(elems).partials.blocks_x; }

AdamWScalars adamw_scalars(const AdamWHyper& h, double lr, std::int64_t step) {
  RA_CHECK(UsageError, h.beta1 >= 0 && h.beta1 < 1 && h.beta2 >= 0 && h.beta2 < 1, "AdamW betas must be in [0, 1)");
  RA_CHECK_GE(UsageError, step, 0, "AdamW step");
  const double t = static_cast<double>(step + 1);
  return {static_cast<float>(lr),
          static_cast<float>(h.beta1),
          static_cast<float>(h.beta2),
          static_cast<float>(h.eps),
          static_cast<float>(h.weight_decay),
          static_cast<float>(1.0 / (1.0 - std::pow(h.beta1, t))),
          static_cast<float>(1.0 / (1.0 - std::pow(h.beta2, t)))};
}

}  // namespace ra::kernels::cuda

// Launch shapes, workspace sizes and host scalars of the model kernels
// (kernels/cuda/host/model_grid.h): every element, row and column is covered by whole
// blocks with no empty block, block-level trees get a power of two, the reduction orders
// depend on the sizes only, nothing is launched for no work, grids a GPU cannot launch
// are refused, and the RoPE and AdamW scalars follow the CPU's formulas.
#include "kernels/cuda/host/model_grid.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/core/error.h"

namespace ra::kernels::cuda {
namespace {

bool is_pow2(std::uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

TEST(ModelGrid, ElementwiseCoversEveryElementWithWholeBlocks) {
  for (std::int64_t n : {1, 255, 256, 257, 100000}) {
    const ModelGrid g = elementwise_grid(n);
    EXPECT_EQ(g.threads, kModelElementwiseThreads);
    EXPECT_EQ(g.blocks_y, 1u);
    EXPECT_GE(static_cast<std::int64_t>(g.blocks_x) * g.threads, n);
    EXPECT_LT(static_cast<std::int64_t>(g.blocks_x - 1) * g.threads, n) << "no empty block";
  }
  EXPECT_EQ(elementwise_grid(0).blocks_x, 0u);
  EXPECT_THROW(elementwise_grid(-1), UsageError);
  EXPECT_THROW(elementwise_grid(std::int64_t{1} << 40), UsageError);
}

TEST(ModelGrid, RowBlocksArePowersOfTwoSizedByTheRow) {
  const std::pair<std::int64_t, std::uint32_t> want[] = {{0, 32},   {1, 32},    {32, 32},   {33, 64},
                                                         {70, 128}, {256, 256}, {300, 256}, {50000, 256}};
  for (const auto& [d, threads] : want) {
    const ModelGrid g = row_block_grid(7, d);
    EXPECT_EQ(g.blocks_x, 7u);
    EXPECT_EQ(g.threads, threads) << d;
    EXPECT_TRUE(is_pow2(g.threads) && g.threads <= kModelMaxBlockThreads);
    EXPECT_EQ(g.shared_bytes, g.threads * kModelReduceSlotBytes) << "a reduction slot per thread";
  }
  EXPECT_EQ(row_block_grid(0, 64).blocks_x, 0u);
  EXPECT_THROW(row_block_grid(-1, 64), UsageError);
  EXPECT_THROW(row_block_grid(std::int64_t{1} << 32, 64), UsageError);
}

TEST(ModelGrid, EmbeddingBackwardSlicesCoverTheRow) {
  for (std::int64_t d : {1, 70, 256, 300, 4096}) {
    const ModelGrid g = embedding_accumulate_grid(9, d);
    EXPECT_EQ(g.blocks_x, 9u);
    EXPECT_GE(static_cast<std::int64_t>(g.blocks_y) * g.threads, d);
    EXPECT_LT(static_cast<std::int64_t>(g.blocks_y - 1) * g.threads, d);
  }
  EXPECT_EQ(embedding_accumulate_grid(0, 64).blocks_x, 0u);
  EXPECT_EQ(embedding_backward_workspace_elems(10), 20);
}

TEST(ModelGrid, RmsNormBackwardPartialBlocksOwnConsecutiveRows) {
  for (std::int64_t n : {1, 2, 255, 256, 257, 530, 100000}) {
    for (std::int64_t d : {1, 20, 300}) {
      const RmsNormBackwardGrid g = rmsnorm_backward_grid(n, d);
      const std::int64_t blocks = g.rows.blocks_x;
      EXPECT_LE(blocks, kRmsNormMaxPartialBlocks);
      EXPECT_GE(blocks * g.rows_per_block, n);
      EXPECT_LT((blocks - 1) * g.rows_per_block, n) << "no empty block";
      EXPECT_TRUE(is_pow2(g.rows.threads));
      EXPECT_EQ(g.rows.shared_bytes, g.rows.threads * kModelReduceSlotBytes);
      EXPECT_GE(static_cast<std::int64_t>(g.columns.blocks_x) * g.columns.threads, d);
      EXPECT_EQ(rmsnorm_backward_workspace_elems(n, d), blocks * d);
    }
  }
  EXPECT_EQ(rmsnorm_backward_grid(0, 64).rows.blocks_x, 0u);
  EXPECT_EQ(rmsnorm_backward_workspace_elems(0, 64), 0);
}

TEST(ModelGrid, ReductionChunksDependOnTheCountOnly) {
  for (std::int64_t n :
       {std::int64_t{1}, std::int64_t{1024}, std::int64_t{1025}, std::int64_t{40000}, std::int64_t{1} << 30}) {
    const ReduceGrid g = reduce_grid(n);
    const std::int64_t partials = g.partials.blocks_x;
    EXPECT_LE(partials, kModelMaxPartials);
    EXPECT_GE(partials * g.chunk_elems, n);
    EXPECT_LT((partials - 1) * g.chunk_elems, n) << "no empty block";
    EXPECT_TRUE(is_pow2(g.partials.threads) && is_pow2(g.finish.threads));
    EXPECT_EQ(g.partials.shared_bytes, g.partials.threads * kModelReduceSlotBytes);
    EXPECT_EQ(g.finish.shared_bytes, g.finish.threads * kModelReduceSlotBytes);
    EXPECT_EQ(g.finish.blocks_x, 1u);
    EXPECT_EQ(reduce_workspace_elems(n), partials);
  }
  const ReduceGrid none = reduce_grid(0);
  EXPECT_EQ(none.partials.blocks_x, 0u);
  EXPECT_EQ(none.finish.blocks_x, 1u) << "the finish still writes {0, 0}";
  EXPECT_THROW(reduce_grid(-1), UsageError);
}

TEST(ModelGrid, RopeConstantsFollowRuntimeModelRope) {
  EXPECT_EQ(rope_grid(3, 10).blocks_x, 1u);
  EXPECT_THROW(rope_grid(3, 7), UsageError);
  const RopeConstants none = rope_constants(RopeKernelScaling::kNone, 10000, 4, 64);
  EXPECT_EQ(none.effective_base, 10000.0);
  EXPECT_EQ(none.position_scale, 1.0);
  const RopeConstants linear = rope_constants(RopeKernelScaling::kLinear, 10000, 4, 64);
  EXPECT_EQ(linear.effective_base, 10000.0);
  EXPECT_EQ(linear.position_scale, 0.25);
  const RopeConstants ntk = rope_constants(RopeKernelScaling::kNtk, 10000, 4, 64);
  EXPECT_EQ(ntk.effective_base, 10000.0 * std::pow(4.0, 64.0 / 62.0));
  EXPECT_EQ(ntk.position_scale, 1.0);
  EXPECT_THROW(rope_constants(RopeKernelScaling::kNtk, 10000, 4, 2), UsageError);
  EXPECT_THROW(rope_constants(RopeKernelScaling::kNone, 0, 4, 64), UsageError);
  EXPECT_THROW(rope_constants(RopeKernelScaling::kLinear, 10000, 0, 64), UsageError);
}

TEST(ModelGrid, AdamWScalarsAreTheCpuRoundings) {
  const AdamWHyper h{0.9, 0.95, 1e-8, 0.1};
  const AdamWScalars s0 = adamw_scalars(h, 3e-3, 0);
  EXPECT_EQ(s0.bias_correction1, static_cast<float>(1.0 / (1.0 - 0.9)));
  EXPECT_EQ(s0.bias_correction2, static_cast<float>(1.0 / (1.0 - 0.95)));
  EXPECT_EQ(s0.lr, 3e-3f);
  EXPECT_EQ(s0.eps, 1e-8f);
  const AdamWScalars s9 = adamw_scalars(h, 1e-3, 9);
  EXPECT_EQ(s9.bias_correction1, static_cast<float>(1.0 / (1.0 - std::pow(0.9, 10.0))));
  EXPECT_THROW(adamw_scalars({1.0, 0.95, 1e-8, 0.1}, 1e-3, 0), UsageError);
  EXPECT_THROW(adamw_scalars(h, 1e-3, -1), UsageError);
}

}  // namespace
}  // namespace ra::kernels::cuda

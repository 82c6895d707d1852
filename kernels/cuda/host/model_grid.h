// Launch shapes, workspace sizes and host-computed scalars of the model kernels
// (kernels/cuda/model): pure host functions, tested on the CPU (tests/cuda_host).
//
// Every reduction order of the kernels is a function of these shapes only — of the
// element and row counts, never of the device — so results are bitwise reproducible
// across runs and GPUs of the build (docs/cuda.md, "The model kernels").
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/model/model_params.h"

namespace ra::kernels::cuda {

// Threads of the block-per-row kernels and of the reductions: the block-level tree sums
// (model/block_reduce.h) need a power of two, at most this.
inline constexpr std::uint32_t kModelMaxBlockThreads = 256;
// Dynamic shared memory per thread of the kernels with block reductions (one double).
inline constexpr std::size_t kModelReduceSlotBytes = 8;
// Threads per block of the element-wise kernels.
inline constexpr std::uint32_t kModelElementwiseThreads = 256;
// Most partial sums of a two-stage reduction (stage 2 is one block over them).
inline constexpr std::int64_t kModelMaxPartials = 1024;
// Most partial rows of RMSNorm's dg.
inline constexpr std::int64_t kRmsNormMaxPartialBlocks = 256;

struct ModelGrid {
  std::uint32_t blocks_x = 0;  // 0: nothing to do, launch nothing
  std::uint32_t blocks_y = 1;
  std::uint32_t threads = 0;
  std::size_t shared_bytes = 0;  // dynamic shared memory per block
};

// One thread per element, 1-D; UsageError past a launchable grid or for elems < 0.
ModelGrid elementwise_grid(std::int64_t elems);

// One block per row; threads: the smallest power of two ≥ row_elems in [32, 256] (the
// block strides over the row; the tree sum's shape depends on row_elems only), with
// reduction slots.
ModelGrid row_block_grid(std::int64_t n_rows, std::int64_t row_elems);

// Embedding backward: the links kernel has one thread per token (elementwise_grid); the
// accumulation kernel has one block per (token, column slice).
ModelGrid embedding_accumulate_grid(std::int64_t n_rows, std::int64_t row_elems);
std::int64_t embedding_backward_workspace_elems(std::int64_t n_rows);  // int32 elements

// RMSNorm backward: `blocks` blocks, each owning `rows_per_block` consecutive rows and
// one partial row of dg; then one thread per column sums the partial rows in order.
struct RmsNormBackwardGrid {
  ModelGrid rows;  // the per-row kernel
  std::int64_t rows_per_block = 0;
  ModelGrid columns;  // the dg finishing kernel
};
RmsNormBackwardGrid rmsnorm_backward_grid(std::int64_t n_rows, std::int64_t row_elems);
std::int64_t rmsnorm_backward_workspace_elems(std::int64_t n_rows, std::int64_t row_elems);  // floats

// RoPE: one thread per (row, rotation pair), looping over heads. head_elems even.
ModelGrid rope_grid(std::int64_t n_rows, std::int64_t head_elems);

struct RopeConstants {
  double effective_base = 0, position_scale = 0;
};
// runtime/model/rope.cc's formulas: NTK → b·s^(D/(D−2)); linear → positions · 1/s.
// UsageError for an odd or < 2 head dim (NTK: < 4), base ≤ 0, factor ≤ 0.
RopeConstants rope_constants(RopeKernelScaling scaling, double base, double factor, std::int64_t head_elems);

// Two-stage reductions: stage 1 has `partials.blocks_x` blocks, each summing
// `chunk_elems` consecutive entries; stage 2 is one block.
struct ReduceGrid {
  ModelGrid partials;
  std::int64_t chunk_elems = 0;
  ModelGrid finish;
};
ReduceGrid reduce_grid(std::int64_t elems);
std::int64_t reduce_workspace_elems(std::int64_t elems);  // doubles (and as many int64)

// AdamW's per-step scalars rounded to f32 exactly as runtime/train/optimizer.cc does:
// c₁ = 1/(1 − β₁^(step+1)), c₂ likewise; `step` counts the updates done before this one.
struct AdamWHyper {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};
AdamWScalars adamw_scalars(const AdamWHyper& h, double lr, std::int64_t step);

}  // namespace ra::kernels::cuda

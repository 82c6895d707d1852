// Launchers of the model kernels: each takes its params struct and a stream (a
// cudaStream_t; ignored by the emulator), computes the launch shape with the pure
// functions of kernels/cuda/host/model_grid.h and launches — the multi-kernel operations
// (embedding backward, RMSNorm backward, sums) launch their kernels in order on that
// stream. A header, so nvcc (model_dispatch.cu) and the emulator (model_dispatch_simt.cc,
// the tests) compile the same launch code.
#pragma once

#include "kernels/cuda/host/model_grid.h"
#include "kernels/cuda/model/adamw_kernels.h"
#include "kernels/cuda/model/cross_entropy_kernels.h"
#include "kernels/cuda/model/elementwise_kernels.h"
#include "kernels/cuda/model/embedding_kernels.h"
#include "kernels/cuda/model/reduce_kernels.h"
#include "kernels/cuda/model/rmsnorm_kernels.h"
#include "kernels/cuda/model/rope_kernels.h"
#include "kernels/cuda/portable.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

// A ModelGrid (model_grid.h) as the launch's dim3 grid and block.
inline dim3 model_blocks(const ModelGrid& g) { return dim3(g.blocks_x, g.blocks_y); }
inline dim3 model_threads(const ModelGrid& g) { return dim3(g.threads); }

template <typename T>
void launch_embedding_forward(const EmbeddingForwardParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.n_rows * p.row_elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(embedding_forward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_embedding_backward(const EmbeddingBackwardParams& p, void* stream) {
  const ModelGrid links = elementwise_grid(p.n_rows);
  const ModelGrid acc = embedding_accumulate_grid(p.n_rows, p.row_elems);
  if (acc.blocks_x == 0) return;
  RA_LAUNCH(embedding_links_kernel, model_blocks(links), model_threads(links), links.shared_bytes, stream, p);
  RA_LAUNCH(embedding_accumulate_kernel<T>, model_blocks(acc), model_threads(acc), acc.shared_bytes, stream, p);
}

template <typename T>
void launch_rmsnorm_forward(const RmsNormForwardParams& p, void* stream) {
  const ModelGrid g = row_block_grid(p.n_rows, p.row_elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(rmsnorm_forward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_rmsnorm_backward(const RmsNormBackwardParams& p, void* stream) {
  const RmsNormBackwardGrid g = rmsnorm_backward_grid(p.n_rows, p.row_elems);
  if (g.rows.blocks_x == 0) return;
  const std::int64_t partial_rows = g.rows.blocks_x;
  RA_LAUNCH(rmsnorm_backward_rows_kernel<T>, model_blocks(g.rows), model_threads(g.rows), g.rows.shared_bytes, stream,
            p, g.rows_per_block);
  RA_LAUNCH(rmsnorm_backward_dg_kernel, model_blocks(g.columns), model_threads(g.columns), g.columns.shared_bytes,
            stream, p, partial_rows);
}

template <typename T>
void launch_rope(const RopeParams& p, void* stream) {
  const ModelGrid g = rope_grid(p.n_rows, p.head_elems);
  if (g.blocks_x == 0 || p.heads == 0) return;
  RA_LAUNCH(rope_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_swiglu_forward(const SwigluForwardParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(swiglu_forward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_swiglu_backward(const SwigluBackwardParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(swiglu_backward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_residual_add(const ResidualAddParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(residual_add_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_axpy(const AxpyParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(axpy_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_cross_entropy_forward(const CrossEntropyForwardParams& p, void* stream) {
  const ModelGrid g = row_block_grid(p.n_rows, p.vocab);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(cross_entropy_forward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

template <typename T>
void launch_cross_entropy_backward(const CrossEntropyBackwardParams& p, void* stream) {
  const ModelGrid g = row_block_grid(p.n_rows, p.vocab);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(cross_entropy_backward_kernel<T>, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

// Always writes the result ({0, 0} for no elements).
inline void launch_sum_reduce(const SumReduceParams& p, void* stream) {
  const ReduceGrid g = reduce_grid(p.elems);
  const std::int64_t partials = g.partials.blocks_x;
  if (partials > 0) {
    RA_LAUNCH(sum_reduce_partials_kernel, model_blocks(g.partials), model_threads(g.partials), g.partials.shared_bytes,
              stream, p, g.chunk_elems);
  }
  RA_LAUNCH(sum_reduce_finish_kernel, model_blocks(g.finish), model_threads(g.finish), g.finish.shared_bytes, stream, p,
            partials);
}

inline void launch_clip_factor(const ClipFactorParams& p, void* stream) {
  RA_LAUNCH(clip_factor_kernel, dim3(1), dim3(1), 0, stream, p);
}

inline void launch_adamw_update(const AdamWParams& p, void* stream) {
  const ModelGrid g = elementwise_grid(p.elems);
  if (g.blocks_x == 0) return;
  RA_LAUNCH(adamw_update_kernel, model_blocks(g), model_threads(g), g.shared_bytes, stream, p);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

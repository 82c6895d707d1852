// Launchers of the per-row kernels: each computes its grid (row_grid.h) and launches on
// the given stream. A header, so that nvcc (row_kernels.cu) and the emulator's tests
// compile the same launch code.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/host/row_grid.h"
#include "kernels/cuda/row_kernels.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

inline void launch_init_state(const InitStateParams& p, void* stream) {
  const RowGrid g = row_grid(p.shape);
  if (g.blocks == 0) return;
  RA_LAUNCH(init_state_kernel, dim3(g.blocks), dim3(g.threads_per_block), 0, stream, p);
}

template <typename T>
void launch_finalize(const FinalizeParams& p, void* stream) {
  const RowGrid g = row_grid(p.shape);
  if (g.blocks == 0) return;
  RA_LAUNCH(finalize_kernel<T>, dim3(g.blocks), dim3(g.threads_per_block), 0, stream, p);
}

template <typename T>
void launch_prepare(const PrepareParams& p, void* stream) {
  const RowGrid g = row_grid(p.shape);
  if (g.blocks == 0) return;
  RA_LAUNCH(prepare_kernel<T>, dim3(g.blocks), dim3(g.threads_per_block), 0, stream, p);
}

inline void launch_merge(const MergeParams& p, void* stream) {
  const RowGrid g = row_grid(p.shape);
  if (g.blocks == 0) return;
  RA_LAUNCH(merge_kernel, dim3(g.blocks), dim3(g.threads_per_block), 0, stream, p);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

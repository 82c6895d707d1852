// Launchers of the tiled attention kernels: the launch configuration comes from the
// pure host function attention_grid (tested on the CPU); every launch is on the given
// stream. A header, so that nvcc (attention_dispatch.cu) and the emulator's tests
// compile the same launch code.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/backward_dkdv_kernel.h"
#include "kernels/cuda/backward_dq_kernel.h"
#include "kernels/cuda/forward_kernel.h"
#include "kernels/cuda/host/attention_grid.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

template <typename T, int D, MmaPrecision kP>
void launch_forward(const ForwardParams& p, void* stream) {
  const AttentionGrid g = attention_grid(AttentionKernel::kForward, p.shape, kP);
  if (g.blocks_x == 0) return;
  check_shared_memory_fits(AttentionKernel::kForward, g.shared_bytes, RA_DEVICE_SHARED_LIMIT_BYTES(), D);
  auto* const kernel = &forward_kernel<T, D, kP>;
  RA_ALLOW_DYNAMIC_SHARED(kernel, g.shared_bytes);
  RA_LAUNCH(kernel, dim3(g.blocks_x, g.blocks_y), dim3(g.threads), g.shared_bytes, stream, p);
}

// dK/dV, then dQ: the two kernels write disjoint outputs and could run concurrently;
// on one stream they run in order.
template <typename T, int D, MmaPrecision kP>
void launch_backward(const BackwardParams& p, void* stream) {
  const AttentionGrid gkv = attention_grid(AttentionKernel::kBackwardDkDv, p.shape, kP);
  const AttentionGrid gq = attention_grid(AttentionKernel::kBackwardDq, p.shape, kP);
  if (gkv.blocks_x == 0) return;
  const std::size_t limit = RA_DEVICE_SHARED_LIMIT_BYTES();
  check_shared_memory_fits(AttentionKernel::kBackwardDkDv, gkv.shared_bytes, limit, D);
  check_shared_memory_fits(AttentionKernel::kBackwardDq, gq.shared_bytes, limit, D);
  auto* const dkdv = &backward_dkdv_kernel<T, D, kP>;
  RA_ALLOW_DYNAMIC_SHARED(dkdv, gkv.shared_bytes);
  RA_LAUNCH(dkdv, dim3(gkv.blocks_x, gkv.blocks_y), dim3(gkv.threads), gkv.shared_bytes, stream, p);
  auto* const dq = &backward_dq_kernel<T, D, kP>;
  RA_ALLOW_DYNAMIC_SHARED(dq, gq.shared_bytes);
  RA_LAUNCH(dq, dim3(gq.blocks_x, gq.blocks_y), dim3(gq.threads), gq.shared_bytes, stream, p);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

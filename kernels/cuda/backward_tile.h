// The per-tile steps both backward kernels share: probabilities recomputed from LSE, and
// dS = P ∘ (dP − Dsum), each written as 16-bit terms for the next tensor-core product
// (split.h). Elements are dealt to threads in the same order in every step, so a thread
// reads back only what it wrote itself between two block barriers.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/split.h"
#include "kernels/cuda/tile_config.h"
#include "kernels/cuda/tile_io.h"
#include "kernels/numerics.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

// The backward kernels' shared-memory buffers, carved from the dynamic shared memory by
// the layout of tile_config.h (acc_a/acc_b: dK and dV, or dQ and unused).
template <typename T>
struct BackwardBuffers {
  T *q, *dout, *k, *v, *terms;
  float *acc_a, *acc_b, *prob, *ds, *lse, *dsum, *warp_max;
  std::int32_t *pos_q, *seg_q, *pos_k, *seg_k;

  RA_DEVICE BackwardBuffers(unsigned char* smem, const BackwardSmem& l)
      : q(reinterpret_cast<T*>(smem + l.q)),
        dout(reinterpret_cast<T*>(smem + l.dout)),
        k(reinterpret_cast<T*>(smem + l.k)),
        v(reinterpret_cast<T*>(smem + l.v)),
        terms(reinterpret_cast<T*>(smem + l.terms)),
        acc_a(reinterpret_cast<float*>(smem + l.acc_a)),
        acc_b(reinterpret_cast<float*>(smem + l.acc_b)),
        prob(reinterpret_cast<float*>(smem + l.p)),
        ds(reinterpret_cast<float*>(smem + l.ds)),
        lse(reinterpret_cast<float*>(smem + l.lse)),
        dsum(reinterpret_cast<float*>(smem + l.dsum)),
        warp_max(reinterpret_cast<float*>(smem + l.warp_max)),
        pos_q(reinterpret_cast<std::int32_t*>(smem + l.pos_q)),
        seg_q(reinterpret_cast<std::int32_t*>(smem + l.seg_q)),
        pos_k(reinterpret_cast<std::int32_t*>(smem + l.pos_k)),
        seg_k(reinterpret_cast<std::int32_t*>(smem + l.seg_k)) {}
};

// s holds raw dot products q·k on entry and P = exp(scale·s + bias − LSE) on return;
// masked pairs, rows with LSE = -inf (no visible key: no gradient) and the ragged edge
// get exactly 0. With kTerms > 0, P is also written as kTerms 16-bit terms (one: P
// rounded to T, MmaPrecision::kFast); the fp32 P stays for dS, which therefore carries
// no error from P's rounding.
template <typename T, int kTerms>
RA_DEVICE void probabilities(const TileMask& mask, float scale, float slope, const float* lse, float* s, T* terms_out,
                             int rows, int cols) {
  const float range = probability_range_scale<T>();
  for (int e = block_thread(); e < rows * cols; e += block_threads()) {
    const int r = e / cols, c = e % cols;
    const bool live = tile_visible(mask, r, c) && lse[r] != numerics::neg_inf();
    const float p = live ? expf(biased_score(s[e], scale, slope, mask, r, c) - lse[r]) : 0.0f;
    s[e] = p;
    if constexpr (kTerms > 0) split_to_terms<T, kTerms>(p, range, terms_out + e, rows * cols);
  }
}

// ds holds dP = dO·Vᵀ on entry and dS = P ∘ (dP − Dsum) on return, also written as
// kTerms terms. Returns the range scale s the terms carry (split.h): for fp16 the tile's
// max|dS| is reduced over the block first — in kFast too, where it keeps the single
// rounding relative (|δ| ≤ u) instead of letting small dS fall into fp16's subnormals
// or large ones overflow 65504. Every thread of the block must call it.
template <typename T, int kTerms>
RA_DEVICE float ds_terms(const float* p, const float* dsum, float* ds, T* terms_out, float* warp_max, int rows,
                         int cols) {
  float local_max = 0.0f;
  for (int e = block_thread(); e < rows * cols; e += block_threads()) {
    const float x = p[e] * (ds[e] - dsum[e / cols]);
    ds[e] = x;
    const float a = fabsf(x);
    local_max = a > local_max ? a : local_max;
  }
  float range = 1.0f;
  if (SplitTraits<T>::kNeedsRangeScale) {
    for (int offset = kWarpThreads / 2; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(0xffffffffu, local_max, offset);
      local_max = other > local_max ? other : local_max;
    }
    if (block_thread() % kWarpThreads == 0) warp_max[block_thread() / kWarpThreads] = local_max;
    __syncthreads();
    float tile_max = 0.0f;
    for (int w = 0; w < block_threads() / kWarpThreads; ++w) tile_max = warp_max[w] > tile_max ? warp_max[w] : tile_max;
    range = range_scale_for<T>(tile_max);
  }
  for (int e = block_thread(); e < rows * cols; e += block_threads())
    split_to_terms<T, kTerms>(ds[e], range, terms_out + e, rows * cols);
  return range;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// Backward, dQ: one block per (query tile of 64, query head h). It owns dQ_i outright and
// walks the key tiles of h's kv head in order, recomputing per (i, j):
//
//   P    = exp(scale · Q_i K_jᵀ + bias − LSE)       tensor cores
//   dP   = dO_i V_jᵀ                                tensor cores
//   dS   = P ∘ (dP − Dsum)
//   dQ_i += scale · dS K_j                          tensor cores, dS as 16-bit term(s)
//
// kP = kFast rounds dS once (dS̃ = dS(1 + ε), |ε| ≤ u): |ΔdQ_i| ≤ u · scale · Σ_j |dS_ij| |k_j|
// to first order, plus what Dsum carries from the forward's O (docs/numerics.md); dS
// itself is formed in fp32 from the unrounded P. kExact splits dS into three terms.
//
// No atomics: the result does not depend on block scheduling (deterministic).
#pragma once

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/backward_tile.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/tile_config.h"
#include "kernels/cuda/tile_io.h"
#include "kernels/cuda/tile_mma.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

template <typename T, int D, MmaPrecision kP>
RA_GLOBAL void backward_dq_kernel(BackwardParams p) {
  namespace wmma = nvcuda::wmma;
  constexpr TileShape kT = backward_tiles(BackwardKernel::kDq, D, kP, sizeof(T));
  constexpr BackwardSmem kL = backward_smem(BackwardKernel::kDq, D, kP, sizeof(T));
  constexpr int kTerms = split_terms(kP);
  constexpr int kRows = kT.rows, kCols = kT.cols;
  static_assert(kL.bytes <= kMaxSharedBytesSm80, "dQ tiles exceed sm_80 shared memory");
  RA_DYNAMIC_SHARED_BYTES(smem);
  const BackwardBuffers<T> buf(smem, kL);
  T* const q = buf.q;
  T* const dout = buf.dout;
  T* const k = buf.k;
  T* const v = buf.v;
  T* const terms = buf.terms;
  float* const dq = buf.acc_a;
  float* const prob = buf.prob;
  float* const ds = buf.ds;

  const AttnShape& sh = p.shape;
  const int h = static_cast<int>(blockIdx.y), g = h / (sh.hq / sh.hkv);
  const int r0 = static_cast<int>(blockIdx.x) * kRows;
  const int n_rows = sh.lq - r0 < kRows ? sh.lq - r0 : kRows;
  const int warp = block_thread() / kWarpThreads, warps = block_threads() / kWarpThreads;
  const std::int64_t stat_row = static_cast<std::int64_t>(h) * sh.lq;

  load_head_rows<T, D>(q, storage_as<T>(p.q), r0, n_rows, kRows, sh.hq, h);
  load_head_rows<T, D>(dout, storage_as<T>(p.dout), r0, n_rows, kRows, sh.hq, h);
  load_meta(buf.pos_q, buf.seg_q, p.q_meta.pos, p.q_meta.seg, r0, n_rows, kRows);
  load_row_stat(buf.lse, p.lse + stat_row, r0, n_rows, kRows, numerics::neg_inf());
  load_row_stat(buf.dsum, p.dsum + stat_row, r0, n_rows, kRows, 0.0f);
  zero_f32<D>(dq, kRows);
  __syncthreads();
  const numerics::TileSummary q_summary = numerics::summarize_tile(buf.pos_q, buf.seg_q, n_rows);
  const float slope = p.mask.alibi_slopes != nullptr ? p.mask.alibi_slopes[h] : 0.0f;

  for (int c0 = 0; c0 < sh.lk; c0 += kCols) {
    const int n_cols = sh.lk - c0 < kCols ? sh.lk - c0 : kCols;
    __syncthreads();  // every warp is done with the previous key tile
    load_meta(buf.pos_k, buf.seg_k, p.k_meta.pos, p.k_meta.seg, c0, n_cols, kCols);
    __syncthreads();
    const numerics::TileClass cls =
        numerics::classify_tile(p.mask.rule, q_summary, numerics::summarize_tile(buf.pos_k, buf.seg_k, n_cols));
    if (cls == numerics::TileClass::kEmpty) continue;
    load_head_rows<T, D>(k, storage_as<T>(p.k), c0, n_cols, kCols, sh.hkv, g);
    load_head_rows<T, D>(v, storage_as<T>(p.v), c0, n_cols, kCols, sh.hkv, g);
    __syncthreads();

    mma_tiles<T, 1, wmma::row_major, wmma::col_major>(q, D, 0, k, D, prob, kCols, {kRows, kCols, D, warp, warps},
                                                      MmaOut::kStore, 1.0f);
    mma_tiles<T, 1, wmma::row_major, wmma::col_major>(dout, D, 0, v, D, ds, kCols, {kRows, kCols, D, warp, warps},
                                                      MmaOut::kStore, 1.0f);
    __syncthreads();
    const TileMask mask{p.mask.rule, cls, n_rows, n_cols, buf.pos_q, buf.seg_q, buf.pos_k, buf.seg_k};
    probabilities<T, 0>(mask, p.mask.scale, slope, buf.lse, prob, terms, kRows, kCols);
    const float range = ds_terms<T, kTerms>(prob, buf.dsum, ds, terms, buf.warp_max, kRows, kCols);
    __syncthreads();
    // dQ += scale · dS·K.
    mma_tiles<T, kTerms, wmma::row_major, wmma::row_major>(terms, kCols, kRows * kCols, k, D, dq, D,
                                                           {kRows, D, kCols, warp, warps}, MmaOut::kAccumulate,
                                                           p.mask.scale / range);
  }
  __syncthreads();
  add_head_rows_f32<D>(p.dq, dq, r0, n_rows, sh.hq, h);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

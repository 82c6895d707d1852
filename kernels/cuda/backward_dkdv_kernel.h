// Backward, dK and dV: one block per (key tile of 64, kv head g). It owns dK_j and dV_j
// outright (no atomics, deterministic) and walks every query head of g's group and every
// query tile i in order. With LSE and Dsum from the forward pass, per (i, j):
//
//   P    = exp(scale · Q_i K_jᵀ + bias − LSE)       tensor cores
//   dV_j += Pᵀ dO_i                                 tensor cores, P as 16-bit terms
//   dP   = dO_i V_jᵀ                                tensor cores
//   dS   = P ∘ (dP − Dsum)
//   dK_j += scale · dSᵀ Q_i                         tensor cores, dS as 16-bit terms
//
// kP = kFast rounds P and dS once each before their products (P̃ = P(1 + δ), dS̃ = dS(1 + ε),
// |δ|, |ε| ≤ u): |ΔdV_j| ≤ u · Σ_i P_ij |dO_i| and |ΔdK_j| ≤ u · scale · Σ_i |dS_ij| |q_i| to
// first order (docs/numerics.md); dS is formed from the fp32 P, not from P̃. kExact splits
// both into three terms.
//
// dQ is the other kernel's (backward_dq_kernel.h), which recomputes P and dS per key tile:
// two more products instead of float atomics or a cross-block order on dQ.
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
RA_GLOBAL void backward_dkdv_kernel(BackwardParams p) {
  namespace wmma = nvcuda::wmma;
  constexpr TileShape kT = backward_tiles(BackwardKernel::kDkDv, D, kP, sizeof(T));
  constexpr BackwardSmem kL = backward_smem(BackwardKernel::kDkDv, D, kP, sizeof(T));
  constexpr int kTerms = split_terms(kP);
  constexpr int kRows = kT.rows, kCols = kT.cols;
  static_assert(kL.bytes <= kMaxSharedBytesSm80, "dK/dV tiles exceed sm_80 shared memory");
  RA_DYNAMIC_SHARED_BYTES(smem);
  const BackwardBuffers<T> buf(smem, kL);
  T* const q = buf.q;
  T* const dout = buf.dout;
  T* const k = buf.k;
  T* const v = buf.v;
  T* const terms = buf.terms;
  float* const dk = buf.acc_a;
  float* const dv = buf.acc_b;
  float* const prob = buf.prob;
  float* const ds = buf.ds;

  const AttnShape& sh = p.shape;
  const int g = static_cast<int>(blockIdx.y), group = sh.hq / sh.hkv;
  const int c0 = static_cast<int>(blockIdx.x) * kCols;
  const int n_cols = sh.lk - c0 < kCols ? sh.lk - c0 : kCols;
  const int warp = block_thread() / kWarpThreads, warps = block_threads() / kWarpThreads;

  load_head_rows<T, D>(k, storage_as<T>(p.k), c0, n_cols, kCols, sh.hkv, g);
  load_head_rows<T, D>(v, storage_as<T>(p.v), c0, n_cols, kCols, sh.hkv, g);
  load_meta(buf.pos_k, buf.seg_k, p.k_meta.pos, p.k_meta.seg, c0, n_cols, kCols);
  zero_f32<D>(dk, kCols);
  zero_f32<D>(dv, kCols);
  __syncthreads();
  const numerics::TileSummary k_summary = numerics::summarize_tile(buf.pos_k, buf.seg_k, n_cols);

  for (int h = g * group; h < (g + 1) * group; ++h) {
    const float slope = p.mask.alibi_slopes != nullptr ? p.mask.alibi_slopes[h] : 0.0f;
    const std::int64_t stat_row = static_cast<std::int64_t>(h) * sh.lq;
    for (int r0 = 0; r0 < sh.lq; r0 += kRows) {
      const int n_rows = sh.lq - r0 < kRows ? sh.lq - r0 : kRows;
      __syncthreads();  // every warp is done with the previous query tile
      load_meta(buf.pos_q, buf.seg_q, p.q_meta.pos, p.q_meta.seg, r0, n_rows, kRows);
      __syncthreads();
      const numerics::TileClass cls =
          numerics::classify_tile(p.mask.rule, numerics::summarize_tile(buf.pos_q, buf.seg_q, n_rows), k_summary);
      if (cls == numerics::TileClass::kEmpty) continue;
      load_head_rows<T, D>(q, storage_as<T>(p.q), r0, n_rows, kRows, sh.hq, h);
      load_head_rows<T, D>(dout, storage_as<T>(p.dout), r0, n_rows, kRows, sh.hq, h);
      load_row_stat(buf.lse, p.lse + stat_row, r0, n_rows, kRows, numerics::neg_inf());
      load_row_stat(buf.dsum, p.dsum + stat_row, r0, n_rows, kRows, 0.0f);
      __syncthreads();

      mma_tiles<T, 1, wmma::row_major, wmma::col_major>(q, D, 0, k, D, prob, kCols, {kRows, kCols, D, warp, warps},
                                                        MmaOut::kStore, 1.0f);
      __syncthreads();
      const TileMask mask{p.mask.rule, cls, n_rows, n_cols, buf.pos_q, buf.seg_q, buf.pos_k, buf.seg_k};
      probabilities<T, kTerms>(mask, p.mask.scale, slope, buf.lse, prob, terms, kRows, kCols);
      __syncthreads();
      // dV += Pᵀ·dO: P's terms read column-major as Pᵀ.
      mma_tiles<T, kTerms, wmma::col_major, wmma::row_major>(terms, kCols, kRows * kCols, dout, D, dv, D,
                                                             {kCols, D, kRows, warp, warps}, MmaOut::kAccumulate,
                                                             1.0f / probability_range_scale<T>());
      mma_tiles<T, 1, wmma::row_major, wmma::col_major>(dout, D, 0, v, D, ds, kCols, {kRows, kCols, D, warp, warps},
                                                        MmaOut::kStore, 1.0f);
      __syncthreads();  // dP is complete, and P's terms are no longer read
      const float range = ds_terms<T, kTerms>(prob, buf.dsum, ds, terms, buf.warp_max, kRows, kCols);
      __syncthreads();
      // dK += scale · dSᵀ·Q.
      mma_tiles<T, kTerms, wmma::col_major, wmma::row_major>(terms, kCols, kRows * kCols, q, D, dk, D,
                                                             {kCols, D, kRows, warp, warps}, MmaOut::kAccumulate,
                                                             p.mask.scale / range);
    }
  }
  __syncthreads();
  add_head_rows_f32<D>(p.dk, dk, c0, n_cols, sh.hkv, g);
  add_head_rows_f32<D>(p.dv, dv, c0, n_cols, sh.hkv, g);
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// Forward-accumulate of the attention block operation on tensor cores (docs/design.md §2):
// the same online-softmax update as the CPU kernel (kernels/cpu/forward.cc), per key tile j:
//
//   S      = scale · Q_i K_jᵀ (+ ALiBi bias; masked entries -inf)      tensor cores, 16-bit exact products
//   m_new  = max(m, rowmax S)
//   alpha  = exp(m − m_new)            (0 when m = -inf: the state holds zeros)
//   P      = exp(S − m_new)
//   sum    = alpha · sum + rowsum P
//   acc    = alpha · acc + P V_j                                          tensor cores, P as 16-bit term(s)
//
// P meets the tensor cores as the instance's MmaPrecision says (template parameter kP):
// kFast rounds it once to T (P̃ = P(1 + δ), |δ| ≤ u), kExact splits it into three terms.
// The row sum uses the unrounded fp32 P in both, so O = acc / sum carries the error
// Σ_j P_ij δ_ij v_j / Σ_j P_ij, at most u · Σ_j p_ij |v_j| (docs/numerics.md), and LSE
// none of it.
//
// A row that has seen no visible key keeps m = -inf, sum = 0, acc = 0.
//
// Grid: x = query tile (64 rows), y = query head; 4 warps, each owning 16 query rows —
// their scores, probabilities, statistics and accumulator rows — so warps synchronize
// only to load a key tile. The fp32 accumulator of the block's rows stays in shared
// memory for the whole key block and is read and written once (tile_config.h).
// Empty (query tile, key tile) pairs load nothing but the key tile's metadata.
#pragma once

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/split.h"
#include "kernels/cuda/tile_config.h"
#include "kernels/cuda/tile_io.h"
#include "kernels/cuda/tile_mma.h"
#include "kernels/numerics.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

// The online-softmax update of the warp's 16 rows for one key tile. Two lanes per row,
// each over half of the tile's columns; s holds the raw dot products on entry.
template <typename T, int D, MmaPrecision kP>
RA_DEVICE void forward_softmax_rows(const TileMask& mask, float scale, float slope, float* s, T* p_terms,
                                    float* row_max, float* row_sum, float* o, int first_row) {
  constexpr TileShape kT = forward_tiles(D, kP, sizeof(T));
  constexpr int kCols = kT.cols, kHalfCols = kT.cols / 2, kTermStride = kT.rows * kT.cols;
  const int lane = block_thread() % kWarpThreads;
  const int r = first_row + lane / 2, c_begin = (lane % 2) * kHalfCols;
  float* srow = s + r * kCols;
  T* prow = p_terms + r * kCols;

  float tile_max = numerics::neg_inf();
  for (int c = c_begin; c < c_begin + kHalfCols; ++c) {
    const float x = tile_visible(mask, r, c) ? biased_score(srow[c], scale, slope, mask, r, c) : numerics::neg_inf();
    srow[c] = x;
    tile_max = x > tile_max ? x : tile_max;
  }
  const float other_max = __shfl_xor_sync(0xffffffffu, tile_max, 1);
  tile_max = other_max > tile_max ? other_max : tile_max;
  const float m_old = row_max[r];
  const float m_new = m_old > tile_max ? m_old : tile_max;
  const bool nothing_visible = m_new == numerics::neg_inf();  // P = 0, the state stays as it is

  const float range = probability_range_scale<T>();
  float tile_sum = 0.0f;
  for (int c = c_begin; c < c_begin + kHalfCols; ++c) {
    const float p = nothing_visible || srow[c] == numerics::neg_inf() ? 0.0f : expf(srow[c] - m_new);
    tile_sum += p;
    split_to_terms<T, split_terms(kP)>(p, range, prow + c, kTermStride);
  }
  tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, 1);
  __syncwarp();  // both lanes have read row_max[r] before lane 0 writes it below
  if (nothing_visible) return;
  const float alpha = numerics::rescale_factor(m_old, m_new);
  if (lane % 2 == 0) {
    row_sum[r] = row_sum[r] * alpha + tile_sum;
    row_max[r] = m_new;
  }
  if (alpha != 1.0f) {
    float* orow = o + r * D;
    for (int c = (lane % 2) * (D / 2); c < (lane % 2 + 1) * (D / 2); ++c) orow[c] *= alpha;
  }
}

template <typename T, int D, MmaPrecision kP>
RA_GLOBAL void forward_kernel(ForwardParams p) {
  namespace wmma = nvcuda::wmma;
  constexpr TileShape kT = forward_tiles(D, kP, sizeof(T));
  constexpr ForwardSmem kL = forward_smem(D, kP, sizeof(T));
  constexpr int kTerms = split_terms(kP);
  constexpr int kRows = kT.rows, kCols = kT.cols;
  static_assert(kRows == kT.warps * kMmaTile, "each warp owns 16 query rows");
  static_assert(kWarpThreads == 2 * kMmaTile, "two lanes per row of the warp's 16 (forward_softmax_rows)");
  static_assert(kCols % 2 == 0 && D % 2 == 0, "each of the two lanes takes half a row");
  static_assert(kL.bytes <= kMaxSharedBytesSm80, "forward tiles exceed sm_80 shared memory");
  RA_DYNAMIC_SHARED_BYTES(smem);
  T* q = reinterpret_cast<T*>(smem + kL.q);
  T* k = reinterpret_cast<T*>(smem + kL.k);
  T* v = reinterpret_cast<T*>(smem + kL.v);
  float* o = reinterpret_cast<float*>(smem + kL.o);
  float* s = reinterpret_cast<float*>(smem + kL.s);
  T* p_terms = reinterpret_cast<T*>(smem + kL.p_terms);
  float* row_max = reinterpret_cast<float*>(smem + kL.row_max);
  float* row_sum = reinterpret_cast<float*>(smem + kL.row_sum);
  auto* pos_q = reinterpret_cast<std::int32_t*>(smem + kL.pos_q);
  auto* seg_q = reinterpret_cast<std::int32_t*>(smem + kL.seg_q);
  auto* pos_k = reinterpret_cast<std::int32_t*>(smem + kL.pos_k);
  auto* seg_k = reinterpret_cast<std::int32_t*>(smem + kL.seg_k);

  const AttnShape& sh = p.shape;
  const int h = static_cast<int>(blockIdx.y), g = h / (sh.hq / sh.hkv);
  const int r0 = static_cast<int>(blockIdx.x) * kRows;
  const int n_rows = sh.lq - r0 < kRows ? sh.lq - r0 : kRows;
  const int warp = block_thread() / kWarpThreads;
  const std::int64_t stat0 = static_cast<std::int64_t>(h) * sh.lq + r0;

  load_head_rows<T, D>(q, storage_as<T>(p.q), r0, n_rows, kRows, sh.hq, h);
  load_head_rows_f32<D>(o, p.acc, r0, n_rows, kRows, sh.hq, h);
  load_meta(pos_q, seg_q, p.q_meta.pos, p.q_meta.seg, r0, n_rows, kRows);
  load_row_stat(row_max, p.row_max + stat0, 0, n_rows, kRows, numerics::neg_inf());
  load_row_stat(row_sum, p.row_sum + stat0, 0, n_rows, kRows, 0.0f);
  __syncthreads();
  const numerics::TileSummary q_summary = numerics::summarize_tile(pos_q, seg_q, n_rows);
  const float slope = p.mask.alibi_slopes != nullptr ? p.mask.alibi_slopes[h] : 0.0f;
  const int first_row = warp * kMmaTile;

  for (int c0 = 0; c0 < sh.lk; c0 += kCols) {
    const int n_cols = sh.lk - c0 < kCols ? sh.lk - c0 : kCols;
    __syncthreads();  // every warp is done with the previous key tile
    load_meta(pos_k, seg_k, p.k_meta.pos, p.k_meta.seg, c0, n_cols, kCols);
    __syncthreads();
    // Every thread classifies the pair itself (64 metadata reads): the branch is uniform.
    const numerics::TileClass cls =
        numerics::classify_tile(p.mask.rule, q_summary, numerics::summarize_tile(pos_k, seg_k, n_cols));
    if (cls == numerics::TileClass::kEmpty) continue;
    load_head_rows<T, D>(k, storage_as<T>(p.k), c0, n_cols, kCols, sh.hkv, g);
    load_head_rows<T, D>(v, storage_as<T>(p.v), c0, n_cols, kCols, sh.hkv, g);
    __syncthreads();

    // S of the warp's rows: [16 × D]·[D × cols], K read column-major as Kᵀ.
    mma_tiles<T, 1, wmma::row_major, wmma::col_major>(q + first_row * D, D, 0, k, D, s + first_row * kCols, kCols,
                                                      {kMmaTile, kCols, D}, MmaOut::kStore, 1.0f);
    __syncwarp();
    const TileMask mask{p.mask.rule, cls, n_rows, n_cols, pos_q, seg_q, pos_k, seg_k};
    forward_softmax_rows<T, D, kP>(mask, p.mask.scale, slope, s, p_terms, row_max, row_sum, o, first_row);
    __syncwarp();
    // acc rows += P·V: [16 × cols]·[cols × D], P as its term(s) scaled into range.
    mma_tiles<T, kTerms, wmma::row_major, wmma::row_major>(p_terms + first_row * kCols, kCols, kRows * kCols, v, D,
                                                           o + first_row * D, D, {kMmaTile, D, kCols},
                                                           MmaOut::kAccumulate, 1.0f / probability_range_scale<T>());
  }
  __syncthreads();
  store_head_rows_f32<D>(p.acc, o, r0, n_rows, sh.hq, h);
  for (int r = block_thread(); r < n_rows; r += block_threads()) {
    p.row_max[stat0 + r] = row_max[r];
    p.row_sum[stat0 + r] = row_sum[r];
  }
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// Tensor-core products of shared-memory tiles through nvcuda::wmma (m16n16k16, 16-bit
// inputs, fp32 accumulation):
//
//   C[m×n]  = A[m×k]·B[k×n]                        (MmaOut::kStore)
//   C[m×n] += out_scale · Σ_t A_t[m×k]·B[k×n]·2^-bt (MmaOut::kAccumulate)
//
// where A_0..A_{kTerms-1} are the 16-bit terms of an fp32 matrix (split.h) stored
// `a_term_stride` elements apart; kTerms is a template parameter (1: a 16-bit matrix, or
// the single rounding of MmaPrecision::kFast; 3: kExact), so the one-term instance is a
// plain WMMA loop with no per-term branches. The 16×16 output tiles are dealt round-robin to
// warps: tile t goes to warp (t − first_tile) / tile_step. C is loaded and stored
// through fragments, so no fragment layout is assumed. All pointers are 32-byte
// aligned and leading dimensions multiples of 8 elements (tile_config.h), as WMMA needs.
#pragma once

#include <type_traits>

#include "kernels/cuda/portable.h"
#include "kernels/cuda/split.h"
#include "kernels/cuda/tile_config.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

enum class MmaOut : std::uint8_t { kStore, kAccumulate };

struct MmaTiles {
  int m, n, k;         // multiples of 16
  int first_tile = 0;  // this warp's first output tile
  int tile_step = 1;   // and the stride between its tiles (the number of warps sharing the product)
};

template <typename Layout>
RA_DEVICE const void* tile_at(const void* base, int elem_bytes, int ld, int row, int col) {
  // Element (row, col) of a row-major matrix is base[row·ld + col]; of a column-major one, base[col·ld + row].
  const bool col_major = std::is_same<Layout, nvcuda::wmma::col_major>::value;
  const long long off = col_major ? static_cast<long long>(col) * ld + row : static_cast<long long>(row) * ld + col;
  return static_cast<const unsigned char*>(base) + off * elem_bytes;
}

template <typename T, int kTerms, typename LayoutA, typename LayoutB>
RA_DEVICE void mma_tiles(const T* a, int lda, int a_term_stride, const T* b, int ldb, float* c, int ldc,
                         const MmaTiles& shape, MmaOut out, float out_scale) {
  namespace wmma = nvcuda::wmma;
  static_assert(kTerms >= 1 && kTerms <= kMaxSplitTerms, "1 to 3 terms (split.h)");
  const int tiles_n = shape.n / kMmaTile, tiles = (shape.m / kMmaTile) * tiles_n;
  for (int t = shape.first_tile; t < tiles; t += shape.tile_step) {
    const int ti = t / tiles_n, tj = t % tiles_n;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> prod[kTerms];
    RA_UNROLL
    for (int s = 0; s < kTerms; ++s) wmma::fill_fragment(prod[s], 0.0f);
    for (int kk = 0; kk < shape.k / kMmaTile; ++kk) {
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, LayoutB> fb;
      wmma::load_matrix_sync(fb, static_cast<const T*>(tile_at<LayoutB>(b, sizeof(T), ldb, kk * 16, tj * 16)),
                             static_cast<unsigned>(ldb));
      RA_UNROLL
      for (int s = 0; s < kTerms; ++s) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, LayoutA> fa;
        wmma::load_matrix_sync(
            fa, static_cast<const T*>(tile_at<LayoutA>(a + s * a_term_stride, sizeof(T), lda, ti * 16, kk * 16)),
            static_cast<unsigned>(lda));
        wmma::mma_sync(prod[s], fa, fb, prod[s]);
      }
    }
    float* ct = c + static_cast<long long>(ti) * 16 * ldc + tj * 16;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
    if (out == MmaOut::kAccumulate) {
      wmma::load_matrix_sync(acc, ct, static_cast<unsigned>(ldc), wmma::mem_row_major);
    } else {
      wmma::fill_fragment(acc, 0.0f);
    }
    for (int e = 0; e < acc.num_elements; ++e) {
      float products[kTerms];
      RA_UNROLL
      for (int s = 0; s < kTerms; ++s) products[s] = prod[s].x[e];
      const float v = combine_terms<T, kTerms>(products) * out_scale;
      acc.x[e] = out == MmaOut::kAccumulate ? acc.x[e] + v : v;
    }
    wmma::store_matrix_sync(ct, acc, static_cast<unsigned>(ldc), wmma::mem_row_major);
  }
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

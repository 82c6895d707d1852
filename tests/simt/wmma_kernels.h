// Tensor-core test kernels: one warp per 16×16 output tile, D = A·B + C with 16-bit
// inputs and fp32 accumulation through nvcuda::wmma. nvcc compiles this header too
// (tests/simt/nvcc_compile_check.cu), so it proves the API subset is the real one.
#pragma once

#include "kernels/cuda/portable.h"

namespace ra::simt::tc {

// A [16·tiles_m, 16·K] row-major, B [16·K, 16·tiles_n] given column-major (B^T row-major,
// as attention's K is stored), C/D [16·tiles_m, 16·tiles_n] row-major; one warp per tile.
template <typename T>
RA_GLOBAL void gemm_tiles(const T* a, const T* b_colmajor, float* d, unsigned k_tiles, unsigned n_cols) {
  namespace wmma = nvcuda::wmma;
  const unsigned tile_m = blockIdx.y, tile_n = blockIdx.x;
  const unsigned k_total = 16 * k_tiles;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::load_matrix_sync(acc, d + tile_m * 16 * n_cols + tile_n * 16, n_cols, wmma::mem_row_major);
  for (unsigned kt = 0; kt < k_tiles; ++kt) {
    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb;
    wmma::load_matrix_sync(fa, a + tile_m * 16 * k_total + kt * 16, k_total);
    wmma::load_matrix_sync(fb, b_colmajor + tile_n * 16 * k_total + kt * 16, k_total);
    wmma::mma_sync(acc, fa, fb, acc);
  }
  for (int i = 0; i < acc.num_elements; ++i) acc.x[i] *= 0.5f;  // element-wise work on a fragment
  wmma::store_matrix_sync(d + tile_m * 16 * n_cols + tile_n * 16, acc, n_cols, wmma::mem_row_major);
}

}  // namespace ra::simt::tc

// Forward-accumulate on the CPU. One task = one (query head, query tile); it walks the
// key tiles of the block in order, so the result is independent of the thread count.
//
// Per key tile j (FlashAttention-style online softmax, all in f32):
//   S      = scale * Q_i K_j^T (+ ALiBi bias, masked entries -inf)        GEMM
//   m_new  = max(m, rowmax S)
//   alpha  = exp(m - m_new)                 (0 when m = -inf: the state holds zeros)
//   P      = exp(S - m_new)
//   sum    = alpha * sum + rowsum P
//   acc    = alpha * acc + P V_j                                            GEMM
// A row with no visible key so far keeps m = -inf, sum = 0, acc = 0.
// bf16 storage: Q K_j^T multiplies the stored bf16 values (gemm.h's bf16 GEMM: exact
// products, fp32 sums); with ProductPrecision::kFast, P V_j multiplies P rounded to bf16
// by the stored V (sum keeps the unrounded P), with kExact V is widened and P stays fp32.
#include "kernels/cpu/forward.h"

#include <algorithm>

#include "kernels/cpu/rows.h"
#include "kernels/cpu/scores.h"
#include "kernels/cpu/tiling.h"
#include "kernels/cpu/vec_math.h"

namespace ra::kernels::cpu {
namespace {

using gemm::Transpose;

struct ForwardTask {
  const ForwardArgs& a;
  const AttnDims& d;
  const TileGrid& q_grid;
  const TileGrid& k_grid;
  ProductPrecision precision;

  void run(std::int64_t h, std::int64_t qt, WorkerScratch& ws) const {
    const std::int64_t g = h / d.group();
    const std::int64_t r0 = q_grid.begin(qt), nr = q_grid.size(qt);
    const bool bf16_qk = a.q.dtype() == DType::kBF16;  // K and V share Q's storage type (validated)
    const bool bf16_pv = bf16_qk && precision == ProductPrecision::kFast;
    const RowsF32 q = bf16_qk ? RowsF32{} : head_rows(a.q, r0, nr, h, ws.q);
    const RowsBf16 q16 = bf16_qk ? head_rows_bf16(a.q, r0, h) : RowsBf16{};
    const std::int32_t* pos_q = a.q_meta.pos.data<std::int32_t>() + r0;
    const std::int32_t* seg_q = a.q_meta.seg.data<std::int32_t>() + r0;
    const std::int32_t* pos_k_all = a.k_meta.pos.data<std::int32_t>();
    const std::int32_t* seg_k_all = a.k_meta.seg.data<std::int32_t>();
    const float slope = a.mask.alibi_slopes.empty() ? 0.0f : a.mask.alibi_slopes.data<float>()[h];
    float* acc = a.state.acc.data<float>() + (r0 * d.hq + h) * d.d;
    const std::int64_t acc_ld = d.hq * d.d;
    float* row_max = a.state.row_max.data<float>() + h * d.lq + r0;
    float* row_sum = a.state.row_sum.data<float>() + h * d.lq + r0;
    const std::int64_t ld_s = k_grid.tile_elems;
    ws.scores.resize(static_cast<std::size_t>(q_grid.tile_elems * ld_s));
    float* s = ws.scores.data();

    for (std::int64_t kt = 0; kt < k_grid.count(); ++kt) {
      const numerics::TileClass cls = numerics::classify_tile(
          a.mask.rule, q_grid.summaries[static_cast<std::size_t>(qt)], k_grid.summaries[static_cast<std::size_t>(kt)]);
      if (cls == numerics::TileClass::kEmpty) continue;
      const std::int64_t c0 = k_grid.begin(kt), nc = k_grid.size(kt);
      if (bf16_qk) {
        gemm::multiply(a.mask.scale, q16.matrix(nr, d.d), Transpose::kNo, head_rows_bf16(a.k, c0, g).matrix(nc, d.d),
                       Transpose::kYes, 0.0f, {s, nr, nc, ld_s});
      } else {
        gemm::multiply(a.mask.scale, q.matrix(nr, d.d), Transpose::kNo, head_rows(a.k, c0, nc, g, ws.k).matrix(nc, d.d),
                       Transpose::kYes, 0.0f, {s, nr, nc, ld_s});
      }

      ScoreRowArgs sr{&a.mask.rule, cls, slope, 0, 0, pos_k_all + c0, seg_k_all + c0};
      for (std::int64_t r = 0; r < nr; ++r) {
        float* srow = s + r * ld_s;
        sr.pos_q = pos_q[r];
        sr.seg_q = seg_q[r];
        bias_and_mask_row(srow, nc, sr);
        // A value select, not std::max: GCC vectorizes std::max's reference result
        // in a simd reduction as a gather of addresses (measured: 40% of the softmax).
        float tile_max = numerics::neg_inf();
#pragma omp simd reduction(max : tile_max)
        for (std::int64_t c = 0; c < nc; ++c) tile_max = srow[c] > tile_max ? srow[c] : tile_max;
        const float m_old = row_max[r];
        const float m_new = std::max(m_old, tile_max);
        if (m_new == numerics::neg_inf()) {
          std::fill(srow, srow + nc, 0.0f);  // nothing visible yet: P = 0, state unchanged
          continue;
        }
        float tile_sum = 0.0f;
#pragma omp simd reduction(+ : tile_sum)
        for (std::int64_t c = 0; c < nc; ++c) {
          const float p = exp_ps(srow[c] - m_new);
          srow[c] = p;
          tile_sum += p;
        }
        const float alpha = numerics::rescale_factor(m_old, m_new);
        row_sum[r] = row_sum[r] * alpha + tile_sum;
        row_max[r] = m_new;
        if (alpha != 1.0f) {
          float* acc_row = acc + r * acc_ld;
#pragma omp simd
          for (std::int64_t c = 0; c < d.d; ++c) acc_row[c] *= alpha;
        }
      }
      if (bf16_pv) {
        gemm::multiply(1.0f, rounded_to_bf16(s, nr, nc, ld_s, ws.p16), Transpose::kNo,
                       head_rows_bf16(a.v, c0, g).matrix(nc, d.d), Transpose::kNo, 1.0f, {acc, nr, d.d, acc_ld});
      } else {
        gemm::multiply(1.0f, {s, nr, nc, ld_s}, Transpose::kNo, head_rows(a.v, c0, nc, g, ws.v).matrix(nc, d.d),
                       Transpose::kNo, 1.0f, {acc, nr, d.d, acc_ld});
      }
    }
  }
};

}  // namespace

void forward_accumulate(const ForwardArgs& a, const AttnDims& dims, const TileSizes& tiles, ProductPrecision precision,
                        ThreadPool& pool, std::vector<WorkerScratch>& scratch) {
  if (dims.lq == 0 || dims.lk == 0) return;
  const TileGrid q_grid = make_tile_grid(a.q_meta, tiles.q_rows);
  const TileGrid k_grid = make_tile_grid(a.k_meta, tiles.k_cols);
  const ForwardTask task{a, dims, q_grid, k_grid, precision};
  const std::int64_t n_q_tiles = q_grid.count();
  pool.parallel_for(dims.hq * n_q_tiles, [&](std::int64_t t, int worker) {
    task.run(t / n_q_tiles, t % n_q_tiles, scratch[static_cast<std::size_t>(worker)]);
  });
}

}  // namespace ra::kernels::cpu

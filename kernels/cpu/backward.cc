// Backward on the CPU. One task = one (kv head g, key tile j): it owns dK_j and dV_j of
// head g outright and walks every query head of g's group and every query tile i in order.
// With LSE and Dsum = rowsum(dO ∘ O) from the forward pass, per (i, j):
//   P   = exp(scale * Q_i K_j^T + bias - LSE)     (masked entries and LSE = -inf rows: 0)
//   dV_j += P^T dO_i                                                     GEMM
//   dP  = dO_i V_j^T                                                     GEMM
//   dS  = P ∘ (dP - Dsum)
//   dK_j += scale * dS^T Q_i                                             GEMM
//   dQ_i += scale * dS K_j                                               GEMM
// dQ_i is shared by all key tiles. To stay bitwise independent of the thread count
// without per-tile dQ copies, contributions to dQ_i are added in key-tile order: task j
// waits until task j-1 has passed tile i (the deterministic mode of FlashAttention-2).
// Tasks are claimed in index order, so task j-1 is always running or done: no deadlock.
// bf16 storage: Q_i K_j^T and dO_i V_j^T multiply the stored bf16 values (exact products,
// fp32 sums); with ProductPrecision::kFast, P and dS are rounded once to bf16 for the
// other three products (dS itself is formed from the fp32 P), with kExact those three
// products are fp32 (Q, dO widened once per call, K per task).
#include "kernels/cpu/backward.h"

#include <algorithm>
#include <atomic>
#include <memory>

#include "kernels/cpu/rows.h"
#include "kernels/cpu/scores.h"
#include "kernels/cpu/tiling.h"
#include "kernels/cpu/vec_math.h"

namespace ra::kernels::cpu {
namespace {

using gemm::Transpose;

// turn[h * n_q_tiles + i] = how many key tiles have added their dQ_i contribution.
class DqTurns {
 public:
  explicit DqTurns(std::size_t n) : turns_(new std::atomic<std::int32_t>[n]) {
    for (std::size_t i = 0; i < n; ++i) turns_[i].store(0, std::memory_order_relaxed);
  }
  void wait_for(std::size_t slot, std::int32_t turn) const {
    for (std::int32_t seen = turns_[slot].load(std::memory_order_acquire); seen != turn;
         seen = turns_[slot].load(std::memory_order_acquire)) {
      turns_[slot].wait(seen, std::memory_order_acquire);
    }
  }
  void pass(std::size_t slot) const {
    turns_[slot].fetch_add(1, std::memory_order_release);
    turns_[slot].notify_all();
  }

 private:
  std::unique_ptr<std::atomic<std::int32_t>[]> turns_;
};

// Which products take bf16 operands (the rest multiply in fp32).
struct BackwardProducts {
  bool qk;   // S = Q K^T: Q and K stored bf16
  bool dov;  // dP = dO V^T: dO and V stored bf16
  bool p;    // dV += P^T dO: kFast, dO stored bf16 (P rounded)
  bool ds;   // dK += dS^T Q, dQ += dS K: kFast, Q and K stored bf16 (dS rounded)

  BackwardProducts(const BackwardArgs& a, ProductPrecision precision) {
    const bool fast = precision == ProductPrecision::kFast;
    qk = a.q.dtype() == DType::kBF16;  // K and V share Q's storage type (validated)
    dov = a.dout.dtype() == DType::kBF16 && a.v.dtype() == DType::kBF16;
    p = fast && a.dout.dtype() == DType::kBF16;
    ds = fast && qk;
  }
  bool q_f32() const { return !qk || !ds; }
  bool dout_f32() const { return !p || !dov; }
};

struct BackwardTask {
  const BackwardArgs& a;     // as stored
  const BackwardArgs& wide;  // Q and dO widened to f32 where an fp32 product needs them
  const AttnDims& d;
  const TileGrid& q_grid;
  const TileGrid& k_grid;
  const DqTurns& turns;
  BackwardProducts bf16_ops;

  void run(std::int64_t g, std::int64_t kt, WorkerScratch& ws) const {
    const std::int64_t c0 = k_grid.begin(kt), nc = k_grid.size(kt);
    const RowsF32 k = bf16_ops.qk && bf16_ops.ds ? RowsF32{} : head_rows(a.k, c0, nc, g, ws.k);
    const RowsF32 v = bf16_ops.dov ? RowsF32{} : head_rows(a.v, c0, nc, g, ws.v);
    const RowsBf16 k16 = bf16_ops.qk ? head_rows_bf16(a.k, c0, g) : RowsBf16{};
    const RowsBf16 v16 = bf16_ops.dov ? head_rows_bf16(a.v, c0, g) : RowsBf16{};
    const std::int64_t kv_ld = d.hkv * d.d, q_ld = d.hq * d.d;
    float* dk = a.dk.data<float>() + (c0 * d.hkv + g) * d.d;
    float* dv = a.dv.data<float>() + (c0 * d.hkv + g) * d.d;
    const std::int64_t ld_s = k_grid.tile_elems;
    ws.scores.resize(static_cast<std::size_t>(q_grid.tile_elems * ld_s));
    ws.dscores.resize(ws.scores.size());
    float* p = ws.scores.data();
    float* ds = ws.dscores.data();
    const std::int32_t* pos_q_all = a.q_meta.pos.data<std::int32_t>();
    const std::int32_t* seg_q_all = a.q_meta.seg.data<std::int32_t>();

    for (std::int64_t h = g * d.group(); h < (g + 1) * d.group(); ++h) {
      const float slope = a.mask.alibi_slopes.empty() ? 0.0f : a.mask.alibi_slopes.data<float>()[h];
      for (std::int64_t qt = 0; qt < q_grid.count(); ++qt) {
        const std::size_t slot = static_cast<std::size_t>(h * q_grid.count() + qt);
        const numerics::TileClass cls =
            numerics::classify_tile(a.mask.rule, q_grid.summaries[static_cast<std::size_t>(qt)],
                                    k_grid.summaries[static_cast<std::size_t>(kt)]);
        if (cls == numerics::TileClass::kEmpty) {
          turns.wait_for(slot, static_cast<std::int32_t>(kt));
          turns.pass(slot);
          continue;
        }
        const std::int64_t r0 = q_grid.begin(qt), nr = q_grid.size(qt);
        const RowsF32 q = bf16_ops.q_f32() ? head_rows(wide.q, r0, nr, h, ws.q) : RowsF32{};
        const RowsF32 dout = bf16_ops.dout_f32() ? head_rows(wide.dout, r0, nr, h, ws.dout) : RowsF32{};
        const RowsBf16 q16 = bf16_ops.qk ? head_rows_bf16(a.q, r0, h) : RowsBf16{};
        const RowsBf16 dout16 = a.dout.dtype() == DType::kBF16 ? head_rows_bf16(a.dout, r0, h) : RowsBf16{};
        const float* lse = a.lse.data<float>() + h * d.lq + r0;
        const float* dsum = a.dsum.data<float>() + h * d.lq + r0;

        if (bf16_ops.qk) {
          gemm::multiply(a.mask.scale, q16.matrix(nr, d.d), Transpose::kNo, k16.matrix(nc, d.d), Transpose::kYes, 0.0f,
                         {p, nr, nc, ld_s});
        } else {
          gemm::multiply(a.mask.scale, q.matrix(nr, d.d), Transpose::kNo, k.matrix(nc, d.d), Transpose::kYes, 0.0f,
                         {p, nr, nc, ld_s});
        }
        ScoreRowArgs sr{&a.mask.rule,
                        cls,
                        slope,
                        0,
                        0,
                        a.k_meta.pos.data<std::int32_t>() + c0,
                        a.k_meta.seg.data<std::int32_t>() + c0};
        for (std::int64_t r = 0; r < nr; ++r) {
          float* prow = p + r * ld_s;
          if (lse[r] == numerics::neg_inf()) {  // fully masked row: no gradient at all
            std::fill(prow, prow + nc, 0.0f);
            continue;
          }
          sr.pos_q = pos_q_all[r0 + r];
          sr.seg_q = seg_q_all[r0 + r];
          bias_and_mask_row(prow, nc, sr);
          const float row_lse = lse[r];
#pragma omp simd
          for (std::int64_t c = 0; c < nc; ++c) prow[c] = exp_ps(prow[c] - row_lse);
        }
        if (bf16_ops.p) {
          gemm::multiply(1.0f, rounded_to_bf16(p, nr, nc, ld_s, ws.p16), Transpose::kYes, dout16.matrix(nr, d.d),
                         Transpose::kNo, 1.0f, {dv, nc, d.d, kv_ld});
        } else {
          gemm::multiply(1.0f, {p, nr, nc, ld_s}, Transpose::kYes, dout.matrix(nr, d.d), Transpose::kNo, 1.0f,
                         {dv, nc, d.d, kv_ld});
        }
        if (bf16_ops.dov) {
          gemm::multiply(1.0f, dout16.matrix(nr, d.d), Transpose::kNo, v16.matrix(nc, d.d), Transpose::kYes, 0.0f,
                         {ds, nr, nc, ld_s});
        } else {
          gemm::multiply(1.0f, dout.matrix(nr, d.d), Transpose::kNo, v.matrix(nc, d.d), Transpose::kYes, 0.0f,
                         {ds, nr, nc, ld_s});
        }
        for (std::int64_t r = 0; r < nr; ++r) {
          const float* prow = p + r * ld_s;
          float* dsrow = ds + r * ld_s;
          const float row_dsum = dsum[r];
#pragma omp simd
          for (std::int64_t c = 0; c < nc; ++c) dsrow[c] = prow[c] * (dsrow[c] - row_dsum);
        }
        float* dq = a.dq.data<float>() + (r0 * d.hq + h) * d.d;
        if (bf16_ops.ds) {
          const gemm::RowMajor<const bf16> ds16 = rounded_to_bf16(ds, nr, nc, ld_s, ws.ds16);
          gemm::multiply(a.mask.scale, ds16, Transpose::kYes, q16.matrix(nr, d.d), Transpose::kNo, 1.0f,
                         {dk, nc, d.d, kv_ld});
          turns.wait_for(slot, static_cast<std::int32_t>(kt));
          gemm::multiply(a.mask.scale, ds16, Transpose::kNo, k16.matrix(nc, d.d), Transpose::kNo, 1.0f,
                         {dq, nr, d.d, q_ld});
        } else {
          gemm::multiply(a.mask.scale, {ds, nr, nc, ld_s}, Transpose::kYes, q.matrix(nr, d.d), Transpose::kNo, 1.0f,
                         {dk, nc, d.d, kv_ld});
          turns.wait_for(slot, static_cast<std::int32_t>(kt));
          gemm::multiply(a.mask.scale, {ds, nr, nc, ld_s}, Transpose::kNo, k.matrix(nc, d.d), Transpose::kNo, 1.0f,
                         {dq, nr, d.d, q_ld});
        }
        turns.pass(slot);
      }
    }
  }
};

}  // namespace

void backward_accumulate(const BackwardArgs& a, const AttnDims& dims, const TileSizes& tiles,
                         ProductPrecision precision, ThreadPool& pool, std::vector<WorkerScratch>& scratch) {
  if (dims.lq == 0 || dims.lk == 0) return;
  const TileGrid q_grid = make_tile_grid(a.q_meta, tiles.q_rows);
  const TileGrid k_grid = make_tile_grid(a.k_meta, tiles.k_cols);
  const DqTurns turns(static_cast<std::size_t>(dims.hq * q_grid.count()));
  // Every task reads all of Q and dO: where an fp32 product needs them from 16-bit
  // storage, widen them once (one f32 copy of each, the size of dQ) rather than once per
  // key tile (measured 7% of the time at D = 64).
  const BackwardProducts bf16_ops(a, precision);
  std::vector<float> q_f32, dout_f32;
  BackwardArgs wide = a;
  if (bf16_ops.q_f32()) wide.q = widened(a.q, q_f32);
  if (bf16_ops.dout_f32()) wide.dout = widened(a.dout, dout_f32);
  const BackwardTask task{a, wide, dims, q_grid, k_grid, turns, bf16_ops};
  const std::int64_t n_k_tiles = k_grid.count();
  pool.parallel_for(dims.hkv * n_k_tiles, [&](std::int64_t t, int worker) {
    task.run(t / n_k_tiles, t % n_k_tiles, scratch[static_cast<std::size_t>(worker)]);
  });
}

}  // namespace ra::kernels::cpu

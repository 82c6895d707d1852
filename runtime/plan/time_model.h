// The time model of `ringattn plan` (docs/scaling.md, "The time model"): a ring pass as
// the Ring Attention paper's pipeline — step s starts when both the previous step's
// compute and the hop bringing block s are done — with a block's compute from its
// visible (query, key) pairs and the hop from its bytes over the link:
//
//   start(s+1) = start(s) + max(c_s, x),   pass = Σ_{s<S-1} max(c_s, x) + c_{S-1} (+ x_r),
//   exposed    = Σ_{s<S-1} max(0, x − c_s) (+ x_r),
//   c_s = 4·work_s·D·Hq / F_attn (forward; the backward 2.5× that, FlashAttention-2's count)
//         + work_s·Hq·τ (the per-pair work besides FLOPs, RingMachine),
//   x   = bytes / B + latency   (forward: K, V, positions, segments; backward: also dK, dV in f32),
//   x_r = the backward's last hop: the finished dK/dV (f32) back to their owner, when S > 1,
//   + M / B_mem: the ring's own memory passes besides the kernels (packing K/V, the
//     softmax state, zeroing and summing the travelling f32 dK/dV), on the compute
//     stream; a few percent at 1,024-token blocks on a CPU, nothing on a GPU's HBM,
//   + σ_pass + (S − 1)·σ_hop: the runtime's calibrated overheads, and c_s × (1 + ρ) when
//     S > 1 (RingOverhead).
//
// Overlap is full when every c_s ≥ x; with balanced steps of a fraction f of an n×n block
// (1 bidirectional, ½ causal zigzag) that is 4·f·n²·D·Hq/F ≥ (2·n·Hkv·D·b + 8n)/B + λ, a
// quadratic in n whose root is min_tokens_for_overlap (from the visible pairs, not the
// tiles). work_s is the step's visible (query, key) pairs when the machine gives no tiles;
// with tiles (TileCost), what the kernels actually compute: the area of every tile the
// mask does not hide, a tile the mask cuts (the causal diagonal, a window's edges) at
// partial_cost times a full one — at 1,024-token blocks with 256-token tiles that is
// 1.25 × the causal pairs before the partial tiles' premium. FLOPs (and MFU) always count
// visible pairs. What the model leaves out: per-call overheads (the rates are flat from
// 512-token blocks up on the CPU kernels, docs/scaling.md), contention between the ring's
// and the gradients' traffic.
#pragma once

#include <cstdint>

#include "kernels/numerics.h"
#include "runtime/core/dtype.h"
#include "runtime/layout/sharding.h"

namespace ra::plan {

struct RingProblem {
  std::int64_t tokens_per_rank = 0;  // n (padded shard) of one sequence
  std::int64_t sequences = 1;        // a training batch: this many shards in one pass (separate documents)
  int sp = 1;
  std::int64_t heads = 1, kv_heads = 1, head_dim = 64;
  DType storage = DType::kBF16;
  numerics::MaskRule mask;
  layout::Layout layout = layout::Layout::kZigzag;
};

// How the kernels cut a block: square tiles of `tokens` per side (0 or 1: count visible
// pairs exactly). A tile the mask hides entirely is skipped; one it cuts costs
// `partial_cost` × a full tile (the mask's per-element work on top of the products).
struct TileCost {
  std::int64_t tokens = 0;
  double partial_cost = 1.0;
};

// The ring's runtime costs besides kernels, hops and memory passes (enqueueing, the
// handoffs between the compute and comm threads, polling): per pass, per hop, and — in a
// ring of several ranks, whose comm thread shares the cores — a slowdown of its compute
// (0.05: every c_s 5 % longer).
struct RingOverhead {
  double pass_s = 0, hop_s = 0, compute_slowdown = 0;
};

struct RingMachine {
  double attention_flops_per_s = 0;      // what the kernels reach on full tiles (forward)
  double attention_bwd_flops_per_s = 0;  // backward; 0: the forward's
  // Seconds per (query, key) pair and head the kernels spend besides the FLOPs at those
  // rates (the softmax's exponentials and the row statistics: independent of D), forward
  // and backward; 0: none (the rates are D's own). A block then takes
  // work·Hq·(4·D/F + τ) forward and work·Hq·(2.5·4·D/F_b + τ_b) backward, so a small head
  // dimension reaches a lower FLOP rate.
  double attention_pair_head_s_fwd = 0, attention_pair_head_s_bwd = 0;
  // What a tile the mask cuts costs more per pair-head than a full one (the mask's
  // per-element work, independent of D), seconds; when given it sets the tiles'
  // partial_cost for the problem's D: 1 + μ / (φ/F + τ). 0: partial_cost as given.
  double partial_pair_head_s_fwd = 0, partial_pair_head_s_bwd = 0;
  double link_bytes_per_s = 0;  // one direction, between ring neighbours
  double link_latency_s = 0;
  TileCost fwd_tiles, bwd_tiles;
  double memory_bytes_per_s = 0;  // the ring's own memory passes (0: not modelled)
  RingOverhead fwd_overhead, bwd_overhead;
};

struct RingTime {
  int steps = 0;                                  // ring steps with work on the slowest rank
  double fwd_flops = 0, bwd_flops = 0;            // the slowest rank's, one pass
  double fwd_hop_s = 0, bwd_hop_s = 0;            // one hop's transfer
  double bwd_return_hop_s = 0;                    // the finished dK/dV back to their owner (exposed)
  double fwd_memory_s = 0, bwd_memory_s = 0;      // the ring's own memory passes (in the passes)
  double fwd_overhead_s = 0, bwd_overhead_s = 0;  // σ_pass + (S − 1)·σ_hop + ρ·Σ c_s (in the passes)
  double fwd_s = 0, bwd_s = 0;                    // the passes
  double fwd_compute_s = 0, bwd_compute_s = 0;    // their blocks computed alone (Σ c_s, no slowdown)
  double fwd_exposed_s = 0, bwd_exposed_s = 0;
  std::int64_t min_tokens_for_overlap = 0;  // tokens per rank at which c ≥ x on every step
};

// Visible (query, key) pairs between queries [q0, q0+n) and keys [k0, k0+n) of one
// document at those global positions, under `mask`.
double block_pairs(std::int64_t q0, std::int64_t k0, std::int64_t n, const numerics::MaskRule& mask);
// Visible pairs of a whole document of `len` tokens.
double sequence_pairs(std::int64_t len, const numerics::MaskRule& mask);
// What the kernels compute on that block under `tiles`, in pairs: Σ over the tiles the
// mask does not hide of their area (× partial_cost for those it cuts). block_pairs when
// tiles.tokens ≤ 1. A block whose n is not a multiple of the tile is cut into ⌈n/T⌉
// equal tiles (an approximation: the kernels' last tile is the short one).
double block_work(std::int64_t q0, std::int64_t k0, std::int64_t n, const numerics::MaskRule& mask,
                  const TileCost& tiles);

RingTime ring_time(const RingProblem& p, const RingMachine& m);

}  // namespace ra::plan

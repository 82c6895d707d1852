// The time model of `ringattn plan` (docs/scaling.md, "The time model"): a ring pass as
// the Ring Attention paper's pipeline — step s starts when both the previous step's
// compute and the hop bringing block s are done — with a block's compute from its
// visible (query, key) pairs and the hop from its bytes over the link:
//
//   start(s+1) = start(s) + max(c_s, x),   pass = Σ_{s<S-1} max(c_s, x) + c_{S-1},
//   exposed    = Σ_{s<S-1} max(0, x − c_s),
//   c_s = 4·pairs_s·D·Hq / F_attn (forward; the backward 2.5× that, FlashAttention-2's count),
//   x   = bytes / B + latency   (forward: K, V, positions, segments; backward: also dK, dV in f32).
//
// Overlap is full when every c_s ≥ x; with balanced steps of a fraction f of an n×n block
// (1 bidirectional, ½ causal zigzag) that is 4·f·n²·D·Hq/F ≥ (2·n·Hkv·D·b + 8n)/B + λ, a
// quadratic in n whose root is min_tokens_for_overlap. What the model leaves out: kernel
// launch and tile-edge overheads (small blocks run below F), the softmax's non-matmul
// work, contention between the ring's and the gradients' traffic.
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

struct RingMachine {
  double attention_flops_per_s = 0;      // what the kernels reach (forward)
  double attention_bwd_flops_per_s = 0;  // backward; 0: the forward's
  double link_bytes_per_s = 0;           // one direction, between ring neighbours
  double link_latency_s = 0;
};

struct RingTime {
  int steps = 0;                        // ring steps with work on the slowest rank
  double fwd_flops = 0, bwd_flops = 0;  // the slowest rank's, one pass
  double fwd_hop_s = 0, bwd_hop_s = 0;  // one hop's transfer
  double fwd_s = 0, bwd_s = 0;          // the passes
  double fwd_exposed_s = 0, bwd_exposed_s = 0;
  std::int64_t min_tokens_for_overlap = 0;  // tokens per rank at which c ≥ x on every step
};

// Visible (query, key) pairs between queries [q0, q0+n) and keys [k0, k0+n) of one
// document at those global positions, under `mask`.
double block_pairs(std::int64_t q0, std::int64_t k0, std::int64_t n, const numerics::MaskRule& mask);
// Visible pairs of a whole document of `len` tokens.
double sequence_pairs(std::int64_t len, const numerics::MaskRule& mask);

RingTime ring_time(const RingProblem& p, const RingMachine& m);

}  // namespace ra::plan

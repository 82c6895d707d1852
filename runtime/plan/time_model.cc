#include "runtime/plan/time_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ra::plan {
namespace {

// Pairs (i, j), i ∈ [q0, q0+n), j ∈ [k0, k0+n), with i − j = d: n − |d − Δ| when positive.
double pairs_at(std::int64_t d, std::int64_t delta, std::int64_t n) {
  const std::int64_t off = d > delta ? d - delta : delta - d;
  return off < n ? static_cast<double>(n - off) : 0.0;
}

// Σ_{d=lo}^{hi} pairs_at(d): an arithmetic series on each side of Δ.
double pairs_between(std::int64_t lo, std::int64_t hi, std::int64_t delta, std::int64_t n) {
  lo = std::max(lo, delta - n + 1);
  hi = std::min(hi, delta + n - 1);
  if (lo > hi) return 0.0;
  // Σ over an arithmetic run of values v(d) = n − |d − Δ|, split at Δ.
  const auto run = [&](std::int64_t a, std::int64_t b) {  // a..b on one side of Δ (inclusive)
    if (a > b) return 0.0;
    const double first = pairs_at(a, delta, n), last = pairs_at(b, delta, n);
    return (first + last) * static_cast<double>(b - a + 1) / 2.0;
  };
  if (hi < delta) return run(lo, hi);
  if (lo > delta) return run(lo, hi);
  return run(lo, delta) + run(delta + 1, hi);
}

}  // namespace

double block_pairs(std::int64_t q0, std::int64_t k0, std::int64_t n, const numerics::MaskRule& mask) {
  const std::int64_t delta = q0 - k0;
  std::int64_t lo = -(n - 1) + delta, hi = (n - 1) + delta;  // every d that occurs
  if (mask.kind == numerics::MaskKind::kCausal) lo = std::max<std::int64_t>(lo, 0);
  if (mask.window > 0) {
    lo = std::max<std::int64_t>(lo, -(mask.window - 1));
    hi = std::min<std::int64_t>(hi, mask.window - 1);
  }
  return pairs_between(lo, hi, delta, n);
}

double sequence_pairs(std::int64_t len, const numerics::MaskRule& mask) { return block_pairs(0, 0, len, mask); }

double block_work(std::int64_t q0, std::int64_t k0, std::int64_t n, const numerics::MaskRule& mask,
                  const TileCost& tiles) {
  if (tiles.tokens <= 1 || n <= 0) return block_pairs(q0, k0, n, mask);
  // m × m tiles of t tokens. Query tile a and key tile b hold the offsets d = i − j in
  // [Δ + o·t − (t − 1), Δ + o·t + (t − 1)], o = a − b: every tile pair with the same o
  // is classified alike, and m − |o| pairs have it.
  const std::int64_t m = (n + tiles.tokens - 1) / tiles.tokens;
  const double t = static_cast<double>(n) / static_cast<double>(m);
  const double delta = static_cast<double>(q0 - k0);
  double lo = -1e300, hi = 1e300;  // the visible offsets, as in block_pairs
  if (mask.kind == numerics::MaskKind::kCausal) lo = 0;
  if (mask.window > 0) {
    lo = std::max(lo, -static_cast<double>(mask.window - 1));
    hi = std::min(hi, static_cast<double>(mask.window - 1));
  }
  double work = 0;
  for (std::int64_t o = -(m - 1); o <= m - 1; ++o) {
    const double centre = delta + static_cast<double>(o) * t;
    const double d_min = centre - (t - 1), d_max = centre + (t - 1);
    if (d_max < lo || d_min > hi) continue;  // hidden: skipped
    const bool full = d_min >= lo && d_max <= hi;
    work += static_cast<double>(m - (o < 0 ? -o : o)) * t * t * (full ? 1.0 : tiles.partial_cost);
  }
  return work;
}

RingTime ring_time(const RingProblem& p, const RingMachine& m) {
  const std::int64_t n = p.tokens_per_rank;
  const double qk_flops_per_pair = 4.0 * static_cast<double>(p.head_dim * p.heads);  // S = QKᵀ and O = PV
  // What a pair-head costs at this head dimension: t = φ/F + τ with φ its FLOPs (4·D
  // forward, 2.5 × that backward), so the rate reached is F_D = φ / t; a tile the mask
  // cuts costs μ more per pair-head (the mask's per-element work, whatever D), so
  // partial_cost = 1 + μ / t — larger at a small D.
  const double phi_fwd = qk_flops_per_pair / static_cast<double>(p.heads), phi_bwd = 2.5 * phi_fwd;
  const double fwd_flops_rate = m.attention_flops_per_s;
  const double bwd_flops_rate = m.attention_bwd_flops_per_s > 0 ? m.attention_bwd_flops_per_s : fwd_flops_rate;
  const double t_fwd = phi_fwd / fwd_flops_rate + m.attention_pair_head_s_fwd;
  const double t_bwd = phi_bwd / bwd_flops_rate + m.attention_pair_head_s_bwd;
  const double fwd_rate = phi_fwd / t_fwd, bwd_rate = phi_bwd / t_bwd;
  TileCost fwd_tiles = m.fwd_tiles, bwd_tiles = m.bwd_tiles;
  if (m.partial_pair_head_s_fwd > 0) fwd_tiles.partial_cost = 1.0 + m.partial_pair_head_s_fwd / t_fwd;
  if (m.partial_pair_head_s_bwd > 0) bwd_tiles.partial_cost = 1.0 + m.partial_pair_head_s_bwd / t_bwd;
  // The slowest rank's visible pairs per step (the ring waits for it), and the work its
  // kernels do on them forward and backward (block_work under the machine's tiles).
  std::vector<double> pairs, fwd_work, bwd_work;
  if (p.layout == layout::Layout::kContiguous) {
    // Rank r holds [r·n, (r+1)·n); at step s it sees the keys of rank r − s (mod P).
    double worst = -1;
    for (int r = 0; r < p.sp; ++r) {
      std::vector<double> mine, fwd, bwd;
      for (int s = 0; s < p.sp; ++s) {
        const int from = ((r - s) % p.sp + p.sp) % p.sp;
        const std::int64_t q0 = static_cast<std::int64_t>(r) * n, k0 = static_cast<std::int64_t>(from) * n;
        mine.push_back(block_pairs(q0, k0, n, p.mask));
        fwd.push_back(block_work(q0, k0, n, p.mask, fwd_tiles));
        bwd.push_back(block_work(q0, k0, n, p.mask, bwd_tiles));
      }
      double total = 0;
      for (double x : fwd) total += x;
      if (total > worst) {
        worst = total;
        pairs = mine;
        fwd_work = fwd;
        bwd_work = bwd;
      }
    }
  } else {
    // Zigzag and striped balance the work: every rank, every step, an equal share of the
    // whole sequence's. Zigzag's half-shard chunks are whole tiles of the sequence (when
    // n/2 is a multiple of the tile); a striped rank's tile spans P × its tokens.
    const double ranks2 = static_cast<double>(p.sp) * p.sp;
    const std::int64_t spread = p.layout == layout::Layout::kStriped ? p.sp : 1;
    const auto share = [&](TileCost tiles) {
      tiles.tokens *= spread;
      return block_work(0, 0, n * p.sp, p.mask, tiles) / ranks2;
    };
    pairs.assign(static_cast<std::size_t>(p.sp), sequence_pairs(n * p.sp, p.mask) / ranks2);
    fwd_work.assign(pairs.size(), share(fwd_tiles));
    bwd_work.assign(pairs.size(), share(bwd_tiles));
  }
  // The ring stops after the last step with work anywhere (windows): trailing empty steps go.
  while (pairs.size() > 1 && pairs.back() == 0.0) pairs.pop_back();
  fwd_work.resize(pairs.size());
  bwd_work.resize(pairs.size());
  // A batch's sequences are separate documents in one pass: work and bytes add up.
  const auto seqs = static_cast<double>(p.sequences);
  for (std::vector<double>* v : {&pairs, &fwd_work, &bwd_work}) {
    for (double& x : *v) x *= seqs;
  }
  RingTime t;
  t.steps = static_cast<int>(pairs.size());
  const double b = static_cast<double>(dtype_size_bytes(p.storage));
  const double kv_bytes =
      seqs * (static_cast<double>(2 * n * p.kv_heads * p.head_dim) * b + 8.0 * static_cast<double>(n));
  const double dkv_bytes = seqs * static_cast<double>(2 * n * p.kv_heads * p.head_dim) * 4.0;
  t.fwd_hop_s = kv_bytes / m.link_bytes_per_s + m.link_latency_s;
  t.bwd_hop_s = (kv_bytes + dkv_bytes) / m.link_bytes_per_s + m.link_latency_s;
  // `compute` is the blocks alone; a ring that hops computes them `slowdown` slower (its
  // comm thread shares the cores), which counts as overhead.
  const auto pass = [&](double flops_factor, const std::vector<double>& work, double rate, double slowdown,
                        double hop_s, double& seconds, double& exposed, double& compute, double& overhead,
                        double& flops) {
    const double stretch = pairs.size() > 1 ? 1.0 + slowdown : 1.0;
    for (std::size_t s = 0; s < pairs.size(); ++s) {
      const double alone = flops_factor * work[s] * qk_flops_per_pair / rate, c = alone * stretch;
      flops += flops_factor * pairs[s] * qk_flops_per_pair;
      compute += alone;
      overhead += c - alone;
      if (s + 1 < pairs.size()) {
        seconds += std::max(c, hop_s);
        exposed += std::max(0.0, hop_s - c);
      } else {
        seconds += c;
      }
    }
  };
  pass(1.0, fwd_work, fwd_rate, m.fwd_overhead.compute_slowdown, t.fwd_hop_s, t.fwd_s, t.fwd_exposed_s, t.fwd_compute_s,
       t.fwd_overhead_s, t.fwd_flops);
  pass(2.5, bwd_work, bwd_rate, m.bwd_overhead.compute_slowdown, t.bwd_hop_s, t.bwd_s, t.bwd_exposed_s, t.bwd_compute_s,
       t.bwd_overhead_s, t.bwd_flops);
  if (m.memory_bytes_per_s > 0) {
    // The ring's own memory passes on the compute stream (runtime/ring/ring_attention.cc),
    // in bytes read + written, per token of the shard (e = elements per token of Q or O,
    // ek of K or V; storage b bytes, accumulators f32):
    //   forward:  pack K, V (2·2·ek·b); init the state (4e); finalize: read it, write O (4e + b·e);
    //   backward: pack K, V; zero dQ (4e); prepare: read O and dO (2·b·e); zero the f32
    //             dK/dV partial every step (8ek each); add the arriving dK/dV from step 1
    //             on (3 × 8ek each); copy the finished dK/dV out (2 × 8ek).
    const double e = static_cast<double>(p.heads * p.head_dim), ek = static_cast<double>(p.kv_heads * p.head_dim);
    const double steps = static_cast<double>(pairs.size()), tokens = seqs * static_cast<double>(n);
    const double fwd_bytes = tokens * (4 * ek * b + 8 * e + b * e);
    const double bwd_bytes =
        tokens * (4 * ek * b + 4 * e + 2 * b * e + steps * 8 * ek + (steps - 1) * 24 * ek + 16 * ek);
    t.fwd_memory_s = fwd_bytes / m.memory_bytes_per_s;
    t.bwd_memory_s = bwd_bytes / m.memory_bytes_per_s;
    t.fwd_s += t.fwd_memory_s;
    t.bwd_s += t.bwd_memory_s;
  }
  const double hops = static_cast<double>(pairs.size() - 1);
  const double fwd_runtime_s = m.fwd_overhead.pass_s + hops * m.fwd_overhead.hop_s;
  const double bwd_runtime_s = m.bwd_overhead.pass_s + hops * m.bwd_overhead.hop_s;
  t.fwd_overhead_s += fwd_runtime_s;  // already holds the compute's slowdown (in fwd_s too)
  t.bwd_overhead_s += bwd_runtime_s;
  t.fwd_s += fwd_runtime_s;
  t.bwd_s += bwd_runtime_s;
  if (pairs.size() > 1) {
    // After the last step the finished dK/dV go back to their owner: one more hop, with
    // nothing left to hide it behind (runtime/ring/ring_attention.cc, backward).
    t.bwd_return_hop_s = dkv_bytes / m.link_bytes_per_s + m.link_latency_s;
    t.bwd_s += t.bwd_return_hop_s;
    t.bwd_exposed_s += t.bwd_return_hop_s;
  }
  if (p.sp > 1) {
    // a·n² − b·n − λ ≥ 0 for the forward and the backward; the larger root.
    const double f = p.mask.kind == numerics::MaskKind::kCausal && p.layout != layout::Layout::kContiguous ? 0.5 : 1.0;
    const auto root = [&](double factor, double rate, double bytes_per_token) {
      const double a = factor * 4.0 * f * static_cast<double>(p.head_dim * p.heads) / rate;
      const double bl = bytes_per_token / m.link_bytes_per_s;
      return (bl + std::sqrt(bl * bl + 4.0 * a * m.link_latency_s)) / (2.0 * a);
    };
    // Per token of one sequence's shard (the batch multiplies compute and bytes alike).
    const double tokens = seqs * static_cast<double>(std::max<std::int64_t>(n, 1));
    const double per_token_kv = kv_bytes / tokens;
    const double per_token_dkv = dkv_bytes / tokens;
    t.min_tokens_for_overlap = static_cast<std::int64_t>(
        std::ceil(std::max(root(1.0, fwd_rate, per_token_kv), root(2.5, bwd_rate, per_token_kv + per_token_dkv))));
  }
  return t;
}

}  // namespace ra::plan

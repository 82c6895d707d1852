// The attention semantics shared by every implementation (CPU kernels, CUDA kernels,
// the ring): the mask rule from token metadata, tile classification, the online-softmax
// rescale and the stable merge of two partial results. Host and device code include
// this one header, so the rule cannot drift between them.
//
//   visible(i, j) = seg_q[i] == seg_k[j] && seg_q[i] >= 0
//                   && (!causal || pos_k[j] <= pos_q[i])
//                   && (W == 0 || |pos_q[i] - pos_k[j]| < W)     // causal: pos_q - pos_k < W
//   score(i, j)   = scale * q_i·k_j - slope[h] * |pos_q[i] - pos_k[j]|   (ALiBi optional)
#pragma once

#include <math.h>  // expf/logf/log1pf exist for host and device under these names
#include <stdint.h>

#include "kernels/host_device.h"

namespace ra::numerics {

enum class MaskKind : int32_t { kBidirectional = 0, kCausal = 1 };

struct MaskRule {
  MaskKind kind = MaskKind::kBidirectional;
  int32_t window = 0;  // 0: no sliding window
};

RA_HD inline float neg_inf() { return -__builtin_huge_valf(); }

// Position difference in 64 bits: int32 positions can differ by more than INT32_MAX.
RA_HD inline int64_t pos_delta(int32_t pos_q, int32_t pos_k) {
  return static_cast<int64_t>(pos_q) - static_cast<int64_t>(pos_k);
}

RA_HD inline bool visible(const MaskRule& m, int32_t pos_q, int32_t seg_q, int32_t pos_k, int32_t seg_k) {
  if (seg_q != seg_k || seg_q < 0) return false;
  const int64_t d = pos_delta(pos_q, pos_k);
  if (m.kind == MaskKind::kCausal && d < 0) return false;
  // Causal leaves d >= 0 here, so |d| < W is the causal window rule as well.
  if (m.window > 0 && (d < 0 ? -d : d) >= m.window) return false;
  return true;
}

// ALiBi term added to a score: -slope * |pos_q - pos_k|.
RA_HD inline float alibi_bias(float slope, int32_t pos_q, int32_t pos_k) {
  const int64_t d = pos_delta(pos_q, pos_k);
  return -slope * static_cast<float>(d < 0 ? -d : d);
}

// Position and segment ranges of a tile of tokens, over its non-padding tokens.
struct TileSummary {
  int32_t pos_min = 0, pos_max = 0;
  int32_t seg_min = 0, seg_max = 0;
  int32_t valid_elems = 0;  // tokens with seg >= 0
  int32_t total_elems = 0;
};

RA_HD inline TileSummary summarize_tile(const int32_t* pos, const int32_t* seg, int32_t n_elems) {
  TileSummary s;
  s.total_elems = n_elems;
  for (int32_t i = 0; i < n_elems; ++i) {
    if (seg[i] < 0) continue;
    if (s.valid_elems == 0) {
      s.pos_min = s.pos_max = pos[i];
      s.seg_min = s.seg_max = seg[i];
    } else {
      s.pos_min = pos[i] < s.pos_min ? pos[i] : s.pos_min;
      s.pos_max = pos[i] > s.pos_max ? pos[i] : s.pos_max;
      s.seg_min = seg[i] < s.seg_min ? seg[i] : s.seg_min;
      s.seg_max = seg[i] > s.seg_max ? seg[i] : s.seg_max;
    }
    ++s.valid_elems;
  }
  return s;
}

enum class TileClass : uint8_t {
  kEmpty,    // no (query, key) pair is visible: skipped, no memory touched
  kFull,     // every pair is visible: no per-element mask
  kPartial,  // per-element mask
};

// Classifies a (query tile, key tile) pair from the summaries alone. Conservative: a
// tile that is neither provably empty nor provably full is partial.
RA_HD inline TileClass classify_tile(const MaskRule& m, const TileSummary& q, const TileSummary& k) {
  if (q.valid_elems == 0 || k.valid_elems == 0) return TileClass::kEmpty;
  if (q.seg_max < k.seg_min || k.seg_max < q.seg_min) return TileClass::kEmpty;
  // Extremes of d = pos_q - pos_k over all pairs.
  const int64_t d_min = pos_delta(q.pos_min, k.pos_max);
  const int64_t d_max = pos_delta(q.pos_max, k.pos_min);
  if (m.kind == MaskKind::kCausal && d_max < 0) return TileClass::kEmpty;
  if (m.window > 0 && (d_min >= m.window || -d_max >= m.window)) return TileClass::kEmpty;

  const bool one_segment = q.seg_min == q.seg_max && k.seg_min == k.seg_max && q.seg_min == k.seg_min;
  const bool no_padding = q.valid_elems == q.total_elems && k.valid_elems == k.total_elems;
  if (!one_segment || !no_padding) return TileClass::kPartial;
  if (m.kind == MaskKind::kCausal && d_min < 0) return TileClass::kPartial;
  if (m.window > 0 && (d_max >= m.window || -d_min >= m.window)) return TileClass::kPartial;
  return TileClass::kFull;
}

// Factor that rescales a running (max, sum, acc) state when its max moves from m_old to
// m_new >= m_old. A state that has seen no visible key (m_old = -inf) holds zeros, so any
// factor works; 0 avoids exp(-inf - -inf) = NaN.
RA_HD inline float rescale_factor(float m_old, float m_new) { return m_old == neg_inf() ? 0.0f : expf(m_old - m_new); }

// How two partial results (O_a, LSE_a) and (O_b, LSE_b) over disjoint key sets combine:
//   LSE = max + log(exp(LSE_a - max) + exp(LSE_b - max)),  O = w_a O_a + w_b O_b,
//   w_x = exp(LSE_x - LSE).
// An empty side (LSE = -inf) leaves the other side bitwise unchanged (copy, not multiply),
// and two empty sides give (0, -inf).
enum class MergeCase : uint8_t { kBoth, kOnlyA, kOnlyB, kNeither };

struct MergeWeights {
  MergeCase which;
  float lse;
  float w_a, w_b;
};

RA_HD inline MergeWeights merge_weights(float lse_a, float lse_b) {
  const float ninf = neg_inf();
  if (lse_a == ninf && lse_b == ninf) return {MergeCase::kNeither, ninf, 0.0f, 0.0f};
  if (lse_b == ninf) return {MergeCase::kOnlyA, lse_a, 1.0f, 0.0f};
  if (lse_a == ninf) return {MergeCase::kOnlyB, lse_b, 0.0f, 1.0f};
  const float hi = lse_a > lse_b ? lse_a : lse_b;
  const float lo = lse_a > lse_b ? lse_b : lse_a;
  // log1p keeps full precision when the smaller side is negligible.
  const float lse = hi + log1pf(expf(lo - hi));
  return {MergeCase::kBoth, lse, expf(lse_a - lse), expf(lse_b - lse)};
}

}  // namespace ra::numerics

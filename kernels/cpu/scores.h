// The per-tile score pass shared by forward and backward: add the ALiBi bias and apply
// the mask to a row of raw scores (scale * q·k) in place. Masked entries become -inf.
#pragma once

#include <cstdint>

#include "kernels/numerics.h"

namespace ra::kernels::cpu {

struct ScoreRowArgs {
  const numerics::MaskRule* rule;
  numerics::TileClass tile;  // kPartial: per-element mask; kFull: none (kEmpty never gets here)
  float alibi_slope;         // 0: no ALiBi
  std::int32_t pos_q, seg_q;
  const std::int32_t* pos_k;  // the key tile's metadata
  const std::int32_t* seg_k;
};

inline void bias_and_mask_row(float* s, std::int64_t cols, const ScoreRowArgs& a) {
  if (a.alibi_slope != 0.0f) {
#pragma omp simd
    for (std::int64_t c = 0; c < cols; ++c) s[c] += numerics::alibi_bias(a.alibi_slope, a.pos_q, a.pos_k[c]);
  }
  if (a.tile == numerics::TileClass::kPartial) {
    const float ninf = numerics::neg_inf();
    for (std::int64_t c = 0; c < cols; ++c)
      s[c] = numerics::visible(*a.rule, a.pos_q, a.seg_q, a.pos_k[c], a.seg_k[c]) ? s[c] : ninf;
  }
}

}  // namespace ra::kernels::cpu

// A self-contained attention problem for tests: inputs (already rounded to the storage
// dtype, so every implementation and reference sees the same values), metadata and mask.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/dtype.h"

namespace ra::testing {

struct AttnCase {
  std::string name;
  std::int64_t lq = 0, lk = 0, hq = 1, hkv = 1, d = 1;
  bool causal = false;
  std::int32_t window = 0;
  double scale = 1.0;  // the f64 reference uses it as is; f32 code rounds it once
  bool alibi = false;
  DType storage = DType::kF32;
  std::vector<float> q, k, v, dout;  // [Lq,Hq,D], [Lk,Hkv,D], [Lk,Hkv,D], [Lq,Hq,D]
  std::vector<std::int32_t> pos_q, seg_q, pos_k, seg_k;
  std::vector<float> slopes;  // [Hq] when alibi
};

template <typename T>
struct AttnResult {
  std::vector<T> o, lse, dq, dk, dv;
  // f64 reference only: the same sums over |terms| (the scale of the rounding a
  // correct f32 implementation may leave), e.g. dK_mag = scale Σ_i P (Σ|dO∘V| + Σ|dO∘O|) |q_i|.
  std::vector<T> dq_mag, dk_mag, dv_mag;
};

struct CaseSpec {
  std::int64_t lq = 16, lk = 16, hq = 2, hkv = 1, d = 16;
  bool causal = false;
  std::int32_t window = 0;
  bool alibi = false;
  int segments = 1;           // documents packed into the sequence (>1: packed)
  std::int64_t padding = 0;   // trailing padding tokens (segment -1) on both sides
  std::int64_t q_pos_offset = 0;  // queries start at this global position; keys at 0
  DType storage = DType::kF32;
  std::uint64_t seed = 1;
};

// The value x has once stored in a storage dtype (f32: itself).
inline float round_to_storage(float x, DType storage) {
  return storage == DType::kBF16 ? round_to_bf16(x) : storage == DType::kF16 ? round_to_f16(x) : x;
}

// Random N(0,1) inputs; segments split both sides at the same positions.
AttnCase make_case(const CaseSpec& spec);

// "lq113_lk113_h4x2_d40_causal_w17": names test instances and failure messages.
std::string case_name(const CaseSpec& spec);

// GoogleTest prints parameters with this instead of a byte dump.
void PrintTo(const CaseSpec& spec, std::ostream* os);

}  // namespace ra::testing

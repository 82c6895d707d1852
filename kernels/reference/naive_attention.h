// The specification the attention kernels are tested against (docs/design.md §8): naive attention, row by
// row with a full softmax, written for clarity and nothing else (docs/design.md, the
// numerics policy). In f64 it is the truth; in f32 it is the "naive same precision"
// implementation whose error sets the tolerance of every test of the block operation,
// the ring, the CUDA kernels under the emulator and the attention tool.
//
//   S_ij = scale · q_i·k_j − slope_h · |pos_q[i] − pos_k[j]|    (ALiBi optional)
//   P_ij = exp(S_ij − LSE_i) over visible keys (kernels/numerics.h: visible()),
//   O_i = Σ_j P_ij v_j,  LSE_i = log Σ_j exp(S_ij);  a row that sees no key: O = 0, LSE = −inf
//   Backward of loss = Σ O ∘ dO:  Dsum_i = dO_i·O_i,  dP_ij = dO_i·v_j,
//   dS_ij = P_ij (dP_ij − Dsum_i),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q,  dV = Pᵀ·dO.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/dtype.h"

namespace ra::reference {

// A self-contained attention problem: inputs (already rounded to the storage dtype, so
// every implementation and reference sees the same values), metadata and mask.
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
  // f64 reference only: the coefficients of u in the first-order error of kernels that
  // round P and dS to a 16-bit type with unit roundoff u before their products
  // (FlashAttention's precision; the CUDA kernels' MmaPrecision::kFast; docs/numerics.md
  // "Error of 16-bit P and dS"), per element:
  //   o_mag16  = Σ_j p_ij |v_j|                                    (p = P / row sum)
  //   dv_mag16 = Σ_i P_ij |dO_i|
  //   dq_mag16 = scale Σ_j ds16_ij |k_j|,  dk_mag16 = scale Σ_i ds16_ij |q_i|,
  //   ds16_ij  = |dS_ij| + P_ij Σ_c |dO_ic| (o_mag16_ic + |O_ic|)
  // where the second term of ds16 is Dsum's error when Dsum = rowsum(dO ∘ O) is taken
  // from such a kernel's O (its P rounding plus O's storage rounding).
  std::vector<T> o_mag16, dq_mag16, dk_mag16, dv_mag16;
};

// The unit roundoff of a storage dtype, the bound on the relative error of rounding an
// fp32 value to it (round to nearest, no underflow): bf16 2^-8 (8 significant bits),
// fp16 2^-11 (11 bits), f32 2^-24.
inline double unit_roundoff(DType storage) {
  return storage == DType::kBF16 ? 0x1p-8 : storage == DType::kF16 ? 0x1p-11 : 0x1p-24;
}

// The value x has once stored in a storage dtype (f32: itself).
inline float round_to_storage(float x, DType storage) {
  return storage == DType::kBF16 ? round_to_bf16(x) : storage == DType::kF16 ? round_to_f16(x) : x;
}

// T = double: the reference. T = float: naive at the kernels' precision; with 16-bit storage
// its O is rounded to that type (as the kernels store it) before Dsum = rowsum(dO ∘ O).
template <typename T>
AttnResult<T> naive_attention(const AttnCase& c);

extern template AttnResult<double> naive_attention<double>(const AttnCase&);
extern template AttnResult<float> naive_attention<float>(const AttnCase&);

// Loss whose gradient the backward computes: sum(O ∘ dO), in f64 (finite differences).
double reference_loss(const AttnCase& c, const std::vector<double>& q, const std::vector<double>& k,
                      const std::vector<double>& v);

}  // namespace ra::reference

// fp32 tensor-core operands as sums of 16-bit terms. The tensor cores multiply 16-bit
// inputs exactly and accumulate in fp32, but the second operand of P·V, Pᵀ·dO, dSᵀ·Q and
// dS·K is fp32 (P, dS). MmaPrecision::kFast (attention_params.h) writes one term: x
// rounded once to the storage type, what FlashAttention does — relative error ≤ u
// (bf16 2^-8, fp16 2^-11), the bound docs/numerics.md carries through to O, dQ, dK, dV.
// MmaPrecision::kExact keeps the fp32 value for the policy of fp32 accumulation: x is
// split into terms h_1..h_n of the storage type T, each the rounding of what the
// previous ones left, scaled up by 2^b so the next term keeps b more bits:
//
//   y   = x · s                      (s: a power of two putting y in T's range)
//   h_1 = T(y),              r_1 = (y   − h_1) · 2^b      (exact in fp32)
//   h_2 = T(r_1),            r_2 = (r_1 − h_2) · 2^b
//   h_3 = T(r_2)
//   x  ≈ (h_1 + (h_2 + h_3 · 2^-b) · 2^-b) / s
//
// with b = 8 for bf16 (8-bit significand), 11 for fp16. Each residual is exact (the error
// of rounding an fp32 value to fewer bits is representable) and |r_k| ≤ |y| (a rounding
// moves y by at most 2^-b·|y|, and the residual is scaled up by 2^b), so three terms leave
// |error| = |r_2 − h_3|·2^-2b ≤ 2^-3b·|y|: 2^-24 (bf16) and 2^-33 (fp16) relative, at
// fp32 rounding. A·B over the terms is three MMAs into three accumulators, combined
// element-wise (fragments of one shape share one layout, so no layout is assumed).
//
// Range: bf16 has fp32's exponent range, s = 1. fp16 tops out at 65504: P ∈ [0, 1] uses
// s = 2^15; dS has no a-priori bound and uses s = 2^(15 − e) for the tile's max|dS| < 2^e.
// Values below 2^-24 / s underflow to fp16 subnormals; their error is ≤ 2^-25 / s absolute,
// i.e. ≤ 2^-40 of the tile's largest element.
#pragma once

#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

template <typename T>
struct SplitTraits;
template <>
struct SplitTraits<__nv_bfloat16> {
  static constexpr float kStep = 256.0f;  // 2^8
  static constexpr float kStepInv = 1.0f / 256.0f;
  static constexpr bool kNeedsRangeScale = false;
};
template <>
struct SplitTraits<__half> {
  static constexpr float kStep = 2048.0f;  // 2^11
  static constexpr float kStepInv = 1.0f / 2048.0f;
  static constexpr bool kNeedsRangeScale = true;
};

// Scale for values in [0, 1] (probabilities).
template <typename T>
RA_DEVICE float probability_range_scale() {
  return SplitTraits<T>::kNeedsRangeScale ? 32768.0f : 1.0f;  // 2^15
}

// The largest shift of range_scale_for: s = 2^64 keeps s and 1/s normal fp32 numbers.
// A tile whose max|x| is below 2^-49 (P ≤ e^-34 everywhere) is scaled less than fully;
// its values then lose fp16 bits, but their contribution is below 2^-49 of any term.
inline constexpr int kMaxRangeShift = 64;

// Scale for values with max |x| = max_abs: a power of two with max_abs · s < 2^15, and
// 2^-64 ≤ s ≤ 2^64 so that neither s nor 1/s over- or underflows (an unbounded shift for
// max|x| < 2^-113 — P of e^-80, routine with ALiBi — would make s = inf and dK NaN).
template <typename T>
RA_DEVICE float range_scale_for(float max_abs) {
  // Zero, NaN or inf (a diverged run): nothing to scale, and frexpf's exponent would be unspecified.
  if (!SplitTraits<T>::kNeedsRangeScale || !(max_abs > 0.0f && max_abs < __builtin_huge_valf())) return 1.0f;
  int e = 0;
  frexpf(max_abs, &e);  // max_abs = f · 2^e, f ∈ [0.5, 1): max_abs < 2^e
  int shift = 15 - e;
  shift = shift > kMaxRangeShift ? kMaxRangeShift : shift;
  return ldexpf(1.0f, shift);
}

// Writes the kTerms 16-bit terms of x (scaled by s) to out[0], out[stride], out[2·stride].
// kTerms = 1 is the single rounding of kFast: T(x·s), nothing else.
template <typename T, int kTerms>
RA_DEVICE void split_to_terms(float x, float s, T* out, int stride) {
  float r = x * s;
  RA_UNROLL
  for (int t = 0; t < kTerms; ++t) {
    const T h = from_f32<T>(r);
    out[t * stride] = h;
    if (t + 1 < kTerms) r = (r - to_f32(h)) * SplitTraits<T>::kStep;
  }
}

// (h_1 + (h_2 + h_3 · 2^-b) · 2^-b) from the products of the terms, innermost first;
// with one term, its product.
template <typename T, int kTerms>
RA_DEVICE float combine_terms(const float* products) {
  float sum = products[kTerms - 1];
  RA_UNROLL
  for (int t = kTerms - 2; t >= 0; --t) sum = products[t] + sum * SplitTraits<T>::kStepInv;
  return sum;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// Elementwise math written so the compiler vectorizes it (no calls, no branches).
#pragma once

#include <bit>
#include <cstdint>

namespace ra::kernels::cpu {

// exp(x) for softmax arguments (x <= 0 in practice), accurate to about 1 ulp, with
// exp(-inf) = 0 and results below FLT_MIN flushed to 0 (they vanish next to the row's
// maximum term, which is 1).
//
// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2];
// ln 2 is split in two (Cody-Waite) so r is exact; exp(r) by the Cephes expf minimax
// polynomial; 2^n built directly in the exponent bits.
inline float exp_ps(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const bool underflow = x < -87.0f;
  const float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float t = xc * kLog2e + kRoundMagic;
  const float n = t - kRoundMagic;
  const std::int32_t ni = std::bit_cast<std::int32_t>(t) - std::bit_cast<std::int32_t>(kRoundMagic);
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((ni + 127) << 23);
  return underflow ? 0.0f : p * scale;
}

}  // namespace ra::kernels::cpu

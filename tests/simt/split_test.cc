// The 16-bit splitting of fp32 tensor-core operands (kernels/cuda/split.h): three terms
// recombine to the value within 2^-(3b+1) relative, and fp16's range scale stays a
// finite, normal power of two for every max (zero, denormal, huge, inf, NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/cuda/split.h"
#include "kernels/cuda/tile_config.h"

namespace ra::kernels::cuda {
namespace {

template <typename T>
float recombined(float x, float s) {
  T h[kMaxSplitTerms];
  split_to_terms<T, kMaxSplitTerms>(x, s, h, 1);
  float products[kMaxSplitTerms];
  for (int i = 0; i < kMaxSplitTerms; ++i) products[i] = to_f32(h[i]);
  return combine_terms<T, kMaxSplitTerms>(products) / s;
}

TEST(Split, ThreeTermsRecombineBelowFp32Rounding) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int i = 0; i < 10000; ++i) {
    const float x = u(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 40) - 30);
    EXPECT_LE(std::fabs(recombined<__nv_bfloat16>(x, 1.0f) - x), std::ldexp(std::fabs(x), -24)) << x;
    const float s = range_scale_for<__half>(std::fabs(x));
    EXPECT_LE(std::fabs(recombined<__half>(x, s) - x), std::ldexp(std::fabs(x), -24)) << x;
  }
}

TEST(Split, Fp16RangeScaleIsAlwaysAFiniteNormalPowerOfTwo) {
  const float cases[] = {0.0f,
                         1e-45f,
                         1e-40f,
                         1e-35f,
                         1e-20f,
                         0.5f,
                         1.0f,
                         40000.0f,
                         3.1e38f,
                         std::numeric_limits<float>::max(),
                         std::numeric_limits<float>::infinity(),
                         std::numeric_limits<float>::quiet_NaN()};
  for (float m : cases) {
    const float s = range_scale_for<__half>(m);
    EXPECT_TRUE(std::isnormal(s) && std::isnormal(1.0f / s)) << "max " << m << " → scale " << s;
    if (std::isfinite(m) && m > std::ldexp(1.0f, -49)) {
      EXPECT_LT(m * s, 32768.0f) << "max " << m;
    }
  }
  EXPECT_EQ(range_scale_for<__half>(1e-40f), std::ldexp(1.0f, kMaxRangeShift)) << "capped, not inf";
  EXPECT_EQ(range_scale_for<__nv_bfloat16>(1e-40f), 1.0f) << "bf16 has fp32's range";
}

}  // namespace
}  // namespace ra::kernels::cuda

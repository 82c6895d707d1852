// Rotary position embedding on global positions (so a token's rotation does not depend
// on which rank holds it). Pairs (x_i, x_{i+D/2}), i < D/2, rotate by angle p·θ_i with
//   θ_i = b^(−2i/D),
// and context extension:
//   linear position interpolation:  p → p / s          (s = scale factor)
//   NTK-aware base scaling:          b → b · s^(D/(D−2))
// The backward of a rotation is the rotation by −angle.
#pragma once

#include <cstdint>

namespace ra::model {

enum class RopeScaling : std::uint8_t { kNone, kLinear, kNtk };

struct RopeOptions {
  double base = 10000.0;
  RopeScaling scaling = RopeScaling::kNone;
  double factor = 1.0;  // s: how many times the trained context is extended
};

enum class RopeDirection : std::uint8_t { kForward, kInverse };

// x [n, heads, d] in place; d even; positions [n].
template <typename T>
void rope_apply(T* x, const std::int32_t* positions, std::int64_t n, std::int64_t heads, std::int64_t d,
                const RopeOptions& options, RopeDirection direction);

}  // namespace ra::model

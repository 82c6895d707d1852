#include "runtime/model/rope.h"

#include <cmath>
#include <vector>

namespace ra::model {

template <typename T>
void rope_apply(T* x, const std::int32_t* positions, std::int64_t n, std::int64_t heads, std::int64_t d,
                const RopeOptions& o, RopeDirection direction) {
  const std::int64_t half = d / 2;
  const double base = o.scaling == RopeScaling::kNtk
                          ? o.base * std::pow(o.factor, static_cast<double>(d) / static_cast<double>(d - 2))
                          : o.base;
  const double pos_scale = o.scaling == RopeScaling::kLinear ? 1.0 / o.factor : 1.0;
  std::vector<double> theta(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i)
    theta[static_cast<std::size_t>(i)] = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
  const double sign = direction == RopeDirection::kForward ? 1.0 : -1.0;
  for (std::int64_t t = 0; t < n; ++t) {
    // Angles in f64: positions reach 2^20 and beyond, where f32 angles lose radians.
    const double p = static_cast<double>(positions[t]) * pos_scale;
    for (std::int64_t i = 0; i < half; ++i) {
      const double angle = sign * p * theta[static_cast<std::size_t>(i)];
      const T c = static_cast<T>(std::cos(angle)), s = static_cast<T>(std::sin(angle));
      for (std::int64_t h = 0; h < heads; ++h) {
        T* row = x + (t * heads + h) * d;
        const T a = row[i], b = row[i + half];
        row[i] = a * c - b * s;
        row[i + half] = a * s + b * c;
      }
    }
  }
}

template void rope_apply<float>(float*, const std::int32_t*, std::int64_t, std::int64_t, std::int64_t,
                                const RopeOptions&, RopeDirection);
template void rope_apply<double>(double*, const std::int32_t*, std::int64_t, std::int64_t, std::int64_t,
                                 const RopeOptions&, RopeDirection);

}  // namespace ra::model

#include "tests/support/tolerance.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ra::testing {
namespace {

// |a - b| with -inf == -inf as 0 and any other non-finite mismatch as +inf.
double abs_err(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return INFINITY;
  if (std::isinf(a) || std::isinf(b)) return a == b ? 0.0 : INFINITY;
  return std::fabs(a - b);
}

}  // namespace

Comparison compare_to_reference(const std::vector<float>& impl, const std::vector<double>& ref64,
                                const std::vector<float>& naive, double floor) {
  Comparison c;
  if (impl.size() != ref64.size() || naive.size() != ref64.size()) {
    c.ok = false;
    c.why = "size mismatch: impl " + std::to_string(impl.size()) + ", ref " + std::to_string(ref64.size()) +
            ", naive " + std::to_string(naive.size());
    return c;
  }
  for (std::size_t i = 0; i < ref64.size(); ++i) {
    const double ne = abs_err(naive[i], ref64[i]);
    if (std::isfinite(ne)) c.naive_err = std::max(c.naive_err, ne);
  }
  c.bound = 2.0 * c.naive_err + floor;
  for (std::size_t i = 0; i < ref64.size(); ++i) {
    const double e = abs_err(impl[i], ref64[i]);
    if (e > c.max_err || (std::isinf(e) && c.at < 0)) {
      c.max_err = e;
      c.at = static_cast<std::int64_t>(i);
    }
  }
  if (!std::isfinite(c.max_err)) {
    c.ok = false;
    c.why = "non-finite mismatch (NaN, or -inf against a finite value)";
  } else {
    c.ok = c.max_err <= c.bound;
  }
  return c;
}

double output_floor(const std::vector<double>& ref64) {
  double m = 1.0;
  for (double x : ref64)
    if (std::isfinite(x)) m = std::max(m, std::fabs(x));
  return kFloorRelOutput * m;
}

double gradient_floor(const std::vector<double>& mag64) {
  double m = 0.0;
  for (double x : mag64) m = std::max(m, x);
  return kFloorRelGradMag * m;
}

double rounded_product_floor(double unit_roundoff, const std::vector<double>& mag16) {
  double m = 0.0;
  for (double x : mag16) m = std::max(m, x);
  return unit_roundoff * m;
}

std::string describe(const std::string& tensor, const Comparison& c, const std::vector<std::int64_t>& shape,
                     const std::vector<float>& impl, const std::vector<double>& ref64) {
  std::ostringstream os;
  os << tensor << ": max err " << c.max_err;
  if (c.at >= 0) {
    std::vector<std::int64_t> idx(shape.size());
    std::int64_t rest = c.at;
    for (std::size_t d = shape.size(); d-- > 0;) {
      idx[d] = shape[d] ? rest % shape[d] : 0;
      rest = shape[d] ? rest / shape[d] : 0;
    }
    os << " at [";
    for (std::size_t d = 0; d < idx.size(); ++d) os << (d ? ", " : "") << idx[d];
    os << "] (impl " << impl[static_cast<std::size_t>(c.at)] << " vs ref " << ref64[static_cast<std::size_t>(c.at)]
       << ")";
  }
  os << ", bound " << c.bound << " (naive err " << c.naive_err << ")";
  if (!c.why.empty()) os << "; " << c.why;
  return os.str();
}

}  // namespace ra::testing

// Every layer's backward against central finite differences in f64: for a random
// cotangent c, L(x) = Σ c ∘ f(x), and ∂L/∂x_i ≈ (L(x + h e_i) − L(x − h e_i)) / 2h.
// Tolerance: |analytic − numeric| ≤ 1e-7 · max(1, |numeric|) (h = 1e-5: truncation
// error O(h²) ≈ 1e-10 times third derivatives, rounding ≈ 1e-16/h ≈ 1e-11).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "runtime/model/layers.h"
#include "runtime/model/rope.h"

namespace ra::model {
namespace {

std::vector<double> randn(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// Checks dL/dx (analytic) against finite differences of L at every element of x.
void expect_gradient(const char* what, std::vector<double>& x, const std::function<double()>& loss,
                     const std::vector<double>& analytic) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const double h = 1e-5;
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double up = loss();
    x[i] = keep - h;
    const double down = loss();
    x[i] = keep;
    const double numeric = (up - down) / (2 * h);
    const double err = std::fabs(analytic[i] - numeric) / std::max(1.0, std::fabs(numeric));
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, 1e-7) << what << ": max relative error at element " << at << " (analytic " << analytic[at] << ")";
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(LayerGradients, Linear) {
  const std::int64_t n = 5, in = 7, out = 4;
  std::vector<double> x = randn(n * in, 1), w = randn(out * in, 2), c = randn(n * out, 3), y(n * out);
  auto loss = [&] {
    linear_forward<double>(x.data(), w.data(), y.data(), n, in, out);
    return dot(c, y);
  };
  std::vector<double> dx(x.size()), dw(w.size(), 0.0);
  linear_backward<double>(x.data(), w.data(), c.data(), dx.data(), dw.data(), n, in, out, Accumulate::kOverwrite);
  expect_gradient("linear dx", x, loss, dx);
  expect_gradient("linear dW", w, loss, dw);
}

TEST(LayerGradients, RmsNorm) {
  const std::int64_t n = 4, d = 9;
  std::vector<double> x = randn(n * d, 4), g = randn(d, 5), c = randn(n * d, 6), y(n * d), r(n);
  auto loss = [&] {
    rmsnorm_forward<double>(x.data(), g.data(), y.data(), r.data(), n, d, 1e-5);
    return dot(c, y);
  };
  loss();
  std::vector<double> dx(x.size(), 0.0), dg(g.size(), 0.0);
  rmsnorm_backward<double>(x.data(), g.data(), r.data(), c.data(), dx.data(), dg.data(), n, d);
  expect_gradient("rmsnorm dx", x, loss, dx);
  expect_gradient("rmsnorm dg", g, loss, dg);
}

TEST(LayerGradients, SwiGlu) {
  const std::int64_t e = 23;
  std::vector<double> a = randn(e, 7, 2.0), b = randn(e, 8), c = randn(e, 9), h(e);
  auto loss = [&] {
    swiglu_forward<double>(a.data(), b.data(), h.data(), e);
    return dot(c, h);
  };
  std::vector<double> da(e), db(e);
  swiglu_backward<double>(a.data(), b.data(), c.data(), da.data(), db.data(), e);
  expect_gradient("swiglu da", a, loss, da);
  expect_gradient("swiglu db", b, loss, db);
}

TEST(LayerGradients, EmbeddingWithRepeatedTokens) {
  const std::int64_t n = 6, d = 3, vocab = 4;
  const std::vector<std::int32_t> tokens{1, 3, 1, 0, 1, 2};
  std::vector<double> table = randn(vocab * d, 10), c = randn(n * d, 11), y(n * d);
  auto loss = [&] {
    embedding_forward<double>(table.data(), tokens.data(), y.data(), n, d);
    return dot(c, y);
  };
  std::vector<double> dt(table.size(), 0.0);
  embedding_backward<double>(tokens.data(), c.data(), dt.data(), n, d);
  expect_gradient("embedding dtable", table, loss, dt);
}

TEST(LayerGradients, CrossEntropyWithIgnoredRows) {
  const std::int64_t n = 5, vocab = 6;
  const std::vector<std::int32_t> targets{2, -1, 5, 0, -1};
  std::vector<double> logits = randn(n * vocab, 12, 3.0);
  const double scale = 0.37;
  auto loss = [&] {
    std::int64_t rows = 0;
    return scale * cross_entropy_forward<double>(logits.data(), targets.data(), n, vocab, rows);
  };
  std::int64_t rows = 0;
  cross_entropy_forward<double>(logits.data(), targets.data(), n, vocab, rows);
  EXPECT_EQ(rows, 3);
  std::vector<double> dl(logits.size());
  cross_entropy_backward<double>(logits.data(), targets.data(), dl.data(), n, vocab, scale);
  expect_gradient("cross-entropy dlogits", logits, loss, dl);
}

// RoPE is linear in x: its backward (the inverse rotation) must be its transpose.
TEST(LayerGradients, RopeEveryScaling) {
  const std::int64_t n = 5, heads = 2, d = 8;
  const std::vector<std::int32_t> pos{0, 3, 17, 1000, 123456};
  for (RopeScaling scaling : {RopeScaling::kNone, RopeScaling::kLinear, RopeScaling::kNtk}) {
    const RopeOptions o{10000.0, scaling, 4.0};
    std::vector<double> x = randn(n * heads * d, 13), c = randn(n * heads * d, 14);
    auto loss = [&] {
      std::vector<double> y = x;
      rope_apply<double>(y.data(), pos.data(), n, heads, d, o, RopeDirection::kForward);
      return dot(c, y);
    };
    std::vector<double> dx = c;
    rope_apply<double>(dx.data(), pos.data(), n, heads, d, o, RopeDirection::kInverse);
    expect_gradient("rope dx", x, loss, dx);
  }
}

// RoPE's defining property: q·k after rotation depends on positions only through
// their difference; linear scaling divides that difference by the factor.
TEST(Rope, DotProductsDependOnRelativePositionOnly) {
  const std::int64_t d = 16;
  const std::vector<double> q0 = randn(d, 15), k0 = randn(d, 16);
  auto rotated_dot = [&](std::int32_t pq, std::int32_t pk, const RopeOptions& o) {
    std::vector<double> q = q0, k = k0;
    rope_apply<double>(q.data(), &pq, 1, 1, d, o, RopeDirection::kForward);
    rope_apply<double>(k.data(), &pk, 1, 1, d, o, RopeDirection::kForward);
    return dot(q, k);
  };
  const RopeOptions plain{};
  EXPECT_NEAR(rotated_dot(10, 3, plain), rotated_dot(1007, 1000, plain), 1e-9);
  const RopeOptions linear{10000.0, RopeScaling::kLinear, 4.0};
  EXPECT_NEAR(rotated_dot(28, 0, linear), rotated_dot(7, 0, plain), 1e-9) << "linear: positions divided by 4";
  EXPECT_GT(std::fabs(rotated_dot(28, 0, plain) - rotated_dot(7, 0, plain)), 1e-3);
}

}  // namespace
}  // namespace ra::model

// The f64 reference's gradients against central finite differences of its own loss
// sum(O ∘ dO), on tiny shapes with every mask feature. This anchors the backward
// formulas; the kernels are then checked against this reference.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"

namespace ra::testing {
namespace {

void gradcheck(const CaseSpec& spec) {
  const AttnCase c = make_case(spec);
  const AttnResult<double> ref = naive_attention<double>(c);
  std::vector<double> q(c.q.begin(), c.q.end()), k(c.k.begin(), c.k.end()), v(c.v.begin(), c.v.end());
  constexpr double kStep = 1e-6;
  struct Wrt {
    const char* name;
    std::vector<double>* x;
    const std::vector<double>* grad;
  };
  for (const Wrt& w : {Wrt{"q", &q, &ref.dq}, Wrt{"k", &k, &ref.dk}, Wrt{"v", &v, &ref.dv}}) {
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < w.x->size(); ++i) {
      const double saved = (*w.x)[i];
      (*w.x)[i] = saved + kStep;
      const double up = reference_loss(c, q, k, v);
      (*w.x)[i] = saved - kStep;
      const double down = reference_loss(c, q, k, v);
      (*w.x)[i] = saved;
      const double fd = (up - down) / (2 * kStep);
      const double err = std::fabs(fd - (*w.grad)[i]);
      if (err > worst) worst = err, at = i;
    }
    // Central differences: truncation O(h^2) and rounding O(eps/h) ~ 1e-10 here.
    EXPECT_LE(worst, 1e-7) << c.name << ": d/d" << w.name << " max err at flat index " << at;
  }
}

TEST(GradCheck, CausalGqa) {
  gradcheck({.lq = 5, .lk = 6, .hq = 4, .hkv = 2, .d = 3, .causal = true, .q_pos_offset = 1, .seed = 11});
}
TEST(GradCheck, BidirectionalWindowAlibi) {
  gradcheck({.lq = 6, .lk = 6, .hq = 2, .hkv = 1, .d = 4, .window = 3, .alibi = true, .seed = 12});
}
TEST(GradCheck, PackedPaddedFullyMaskedRows) {
  gradcheck({.lq = 7,
             .lk = 7,
             .hq = 2,
             .hkv = 2,
             .d = 3,
             .causal = true,
             .window = 2,
             .alibi = true,
             .segments = 2,
             .padding = 2,
             .seed = 13});
}

}  // namespace
}  // namespace ra::testing

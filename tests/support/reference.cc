#include "tests/support/reference.h"

#include <cmath>
#include <limits>

#include "kernels/numerics.h"

namespace ra::testing {
namespace {

template <typename T>
struct Inputs {
  const std::vector<T>& q;
  const std::vector<T>& k;
  const std::vector<T>& v;
};

// Scores of row (i, h) against every key; returns false for masked keys in `vis`.
template <typename T>
void row_scores(const AttnCase& c, const Inputs<T>& in, std::int64_t i, std::int64_t h, std::vector<T>& s,
                std::vector<char>& vis) {
  const numerics::MaskRule rule{c.causal ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional, c.window};
  const std::int64_t g = h / (c.hq / c.hkv);
  s.assign(static_cast<std::size_t>(c.lk), T(0));
  vis.assign(static_cast<std::size_t>(c.lk), 0);
  for (std::int64_t j = 0; j < c.lk; ++j) {
    const auto ui = static_cast<std::size_t>(i), uj = static_cast<std::size_t>(j);
    if (!numerics::visible(rule, c.pos_q[ui], c.seg_q[ui], c.pos_k[uj], c.seg_k[uj])) continue;
    vis[uj] = 1;
    T dot = 0;
    for (std::int64_t e = 0; e < c.d; ++e)
      dot += in.q[static_cast<std::size_t>((i * c.hq + h) * c.d + e)] * in.k[static_cast<std::size_t>((j * c.hkv + g) * c.d + e)];
    T score = static_cast<T>(c.scale) * dot;
    if (c.alibi) {
      const double dist = std::fabs(static_cast<double>(c.pos_q[ui]) - static_cast<double>(c.pos_k[uj]));
      score -= static_cast<T>(c.slopes[static_cast<std::size_t>(h)]) * static_cast<T>(dist);
    }
    s[uj] = score;
  }
}

template <typename T>
std::vector<T> widen(const std::vector<float>& x) {
  return std::vector<T>(x.begin(), x.end());
}

template <typename T>
void forward(const AttnCase& c, const Inputs<T>& in, std::vector<T>& o, std::vector<T>& lse) {
  o.assign(static_cast<std::size_t>(c.lq * c.hq * c.d), T(0));
  lse.assign(static_cast<std::size_t>(c.hq * c.lq), -std::numeric_limits<T>::infinity());
  std::vector<T> s;
  std::vector<char> vis;
  const std::int64_t group = c.hq / c.hkv;
  for (std::int64_t h = 0; h < c.hq; ++h) {
    for (std::int64_t i = 0; i < c.lq; ++i) {
      row_scores(c, in, i, h, s, vis);
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t j = 0; j < c.lk; ++j)
        if (vis[static_cast<std::size_t>(j)]) m = std::max(m, s[static_cast<std::size_t>(j)]);
      if (m == -std::numeric_limits<T>::infinity()) continue;  // fully masked: O = 0, LSE = -inf
      T l = 0;
      T* orow = &o[static_cast<std::size_t>((i * c.hq + h) * c.d)];
      for (std::int64_t j = 0; j < c.lk; ++j) {
        if (!vis[static_cast<std::size_t>(j)]) continue;
        const T p = std::exp(s[static_cast<std::size_t>(j)] - m);
        l += p;
        for (std::int64_t e = 0; e < c.d; ++e) orow[e] += p * in.v[static_cast<std::size_t>((j * c.hkv + h / group) * c.d + e)];
      }
      for (std::int64_t e = 0; e < c.d; ++e) orow[e] /= l;
      lse[static_cast<std::size_t>(h * c.lq + i)] = m + std::log(l);
    }
  }
}

}  // namespace

template <typename T>
AttnResult<T> naive_attention(const AttnCase& c) {
  const std::vector<T> q = widen<T>(c.q), k = widen<T>(c.k), v = widen<T>(c.v), dout = widen<T>(c.dout);
  const Inputs<T> in{q, k, v};
  AttnResult<T> r;
  forward(c, in, r.o, r.lse);
  if constexpr (std::is_same_v<T, float>) {
    for (float& x : r.o) x = round_to_storage(x, c.storage);
  }
  r.dq.assign(q.size(), T(0));
  r.dk.assign(k.size(), T(0));
  r.dv.assign(v.size(), T(0));
  r.dq_mag.assign(q.size(), T(0));
  r.dk_mag.assign(k.size(), T(0));
  r.dv_mag.assign(v.size(), T(0));
  const T scale = static_cast<T>(c.scale);
  const std::int64_t group = c.hq / c.hkv;
  std::vector<T> s;
  std::vector<char> vis;
  for (std::int64_t h = 0; h < c.hq; ++h) {
    const std::int64_t g = h / group;
    for (std::int64_t i = 0; i < c.lq; ++i) {
      const T lse = r.lse[static_cast<std::size_t>(h * c.lq + i)];
      if (lse == -std::numeric_limits<T>::infinity()) continue;
      const std::size_t qrow = static_cast<std::size_t>((i * c.hq + h) * c.d);
      T dsum = 0, dsum_mag = 0;
      for (std::int64_t e = 0; e < c.d; ++e) {
        const T t = dout[qrow + static_cast<std::size_t>(e)] * r.o[qrow + static_cast<std::size_t>(e)];
        dsum += t;
        dsum_mag += std::fabs(t);
      }
      row_scores(c, in, i, h, s, vis);
      for (std::int64_t j = 0; j < c.lk; ++j) {
        if (!vis[static_cast<std::size_t>(j)]) continue;
        const std::size_t krow = static_cast<std::size_t>((j * c.hkv + g) * c.d);
        const T p = std::exp(s[static_cast<std::size_t>(j)] - lse);
        T dp = 0, dp_mag = 0;
        for (std::int64_t e = 0; e < c.d; ++e) {
          const T t = dout[qrow + static_cast<std::size_t>(e)] * v[krow + static_cast<std::size_t>(e)];
          dp += t;
          dp_mag += std::fabs(t);
        }
        const T ds = p * (dp - dsum);
        const T ds_mag = p * (dp_mag + dsum_mag);
        for (std::int64_t e = 0; e < c.d; ++e) {
          const auto ue = static_cast<std::size_t>(e);
          r.dq[qrow + ue] += scale * ds * k[krow + ue];
          r.dk[krow + ue] += scale * ds * q[qrow + ue];
          r.dv[krow + ue] += p * dout[qrow + ue];
          r.dq_mag[qrow + ue] += scale * ds_mag * std::fabs(k[krow + ue]);
          r.dk_mag[krow + ue] += scale * ds_mag * std::fabs(q[qrow + ue]);
          r.dv_mag[krow + ue] += p * std::fabs(dout[qrow + ue]);
        }
      }
    }
  }
  return r;
}

template AttnResult<double> naive_attention<double>(const AttnCase&);
template AttnResult<float> naive_attention<float>(const AttnCase&);

double reference_loss(const AttnCase& c, const std::vector<double>& q, const std::vector<double>& k,
                      const std::vector<double>& v) {
  std::vector<double> o, lse;
  forward(c, Inputs<double>{q, k, v}, o, lse);
  double loss = 0;
  for (std::size_t i = 0; i < o.size(); ++i) loss += o[i] * static_cast<double>(c.dout[i]);
  return loss;
}

}  // namespace ra::testing

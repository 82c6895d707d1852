#include "kernels/reference/naive_attention.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/numerics.h"

namespace ra::reference {
namespace {

template <typename T>
struct Inputs {
  const std::vector<T>& q;
  const std::vector<T>& k;
  const std::vector<T>& v;
};

// Scores of row (i, h) against every key; returns false for masked keys in `vis`.
// `s_mag` (when given) gets the magnitude of each score's terms, |scale|·Σ|q·k| + |bias|:
// the scale of the rounding error any f32 computation of that score carries.
template <typename T>
void row_scores(const AttnCase& c, const Inputs<T>& in, std::int64_t i, std::int64_t h, std::vector<T>& s,
                std::vector<char>& vis, std::vector<T>* s_mag = nullptr) {
  const numerics::MaskRule rule{c.causal ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional, c.window};
  const std::int64_t g = h / (c.hq / c.hkv);
  s.assign(static_cast<std::size_t>(c.lk), T(0));
  vis.assign(static_cast<std::size_t>(c.lk), 0);
  if (s_mag) s_mag->assign(static_cast<std::size_t>(c.lk), T(0));
  for (std::int64_t j = 0; j < c.lk; ++j) {
    const auto ui = static_cast<std::size_t>(i), uj = static_cast<std::size_t>(j);
    if (!numerics::visible(rule, c.pos_q[ui], c.seg_q[ui], c.pos_k[uj], c.seg_k[uj])) continue;
    vis[uj] = 1;
    T dot = 0, dot_mag = 0;
    for (std::int64_t e = 0; e < c.d; ++e) {
      const T t = in.q[static_cast<std::size_t>((i * c.hq + h) * c.d + e)] *
                  in.k[static_cast<std::size_t>((j * c.hkv + g) * c.d + e)];
      dot += t;
      dot_mag += std::fabs(t);
    }
    T score = static_cast<T>(c.scale) * dot;
    T mag = std::fabs(static_cast<T>(c.scale)) * dot_mag;
    if (c.alibi) {
      const double dist = std::fabs(static_cast<double>(c.pos_q[ui]) - static_cast<double>(c.pos_k[uj]));
      const T bias = static_cast<T>(c.slopes[static_cast<std::size_t>(h)]) * static_cast<T>(dist);
      score -= bias;
      mag += std::fabs(bias);
    }
    s[uj] = score;
    if (s_mag) (*s_mag)[uj] = mag;
  }
}

template <typename T>
std::vector<T> widen(const std::vector<float>& x) {
  return std::vector<T>(x.begin(), x.end());
}

// `o_mag16` (when given) gets Σ_j p_ij |v_j| (AttnResult::o_mag16).
template <typename T>
void forward(const AttnCase& c, const Inputs<T>& in, std::vector<T>& o, std::vector<T>& lse,
             std::vector<T>* o_mag16 = nullptr) {
  o.assign(static_cast<std::size_t>(c.lq * c.hq * c.d), T(0));
  if (o_mag16) o_mag16->assign(o.size(), T(0));
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
      const std::size_t orow0 = static_cast<std::size_t>((i * c.hq + h) * c.d);
      T* orow = &o[orow0];
      for (std::int64_t j = 0; j < c.lk; ++j) {
        if (!vis[static_cast<std::size_t>(j)]) continue;
        const T p = std::exp(s[static_cast<std::size_t>(j)] - m);
        l += p;
        for (std::int64_t e = 0; e < c.d; ++e) {
          const T v = in.v[static_cast<std::size_t>((j * c.hkv + h / group) * c.d + e)];
          orow[e] += p * v;
          if (o_mag16) (*o_mag16)[orow0 + static_cast<std::size_t>(e)] += p * std::fabs(v);
        }
      }
      for (std::int64_t e = 0; e < c.d; ++e) orow[e] /= l;
      if (o_mag16)
        for (std::int64_t e = 0; e < c.d; ++e) (*o_mag16)[orow0 + static_cast<std::size_t>(e)] /= l;
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
  constexpr bool kReference = std::is_same_v<T, double>;
  forward(c, in, r.o, r.lse, kReference ? &r.o_mag16 : nullptr);
  if constexpr (std::is_same_v<T, float>) {
    for (float& x : r.o) x = round_to_storage(x, c.storage);
  }
  r.dq.assign(q.size(), T(0));
  r.dk.assign(k.size(), T(0));
  r.dv.assign(v.size(), T(0));
  r.dq_mag.assign(q.size(), T(0));
  r.dk_mag.assign(k.size(), T(0));
  r.dv_mag.assign(v.size(), T(0));
  if constexpr (kReference) {
    r.dq_mag16.assign(q.size(), T(0));
    r.dk_mag16.assign(k.size(), T(0));
    r.dv_mag16.assign(v.size(), T(0));
  }
  const T scale = static_cast<T>(c.scale);
  const std::int64_t group = c.hq / c.hkv;
  std::vector<T> s, s_mag;
  std::vector<char> vis;
  for (std::int64_t h = 0; h < c.hq; ++h) {
    const std::int64_t g = h / group;
    for (std::int64_t i = 0; i < c.lq; ++i) {
      const T lse = r.lse[static_cast<std::size_t>(h * c.lq + i)];
      if (lse == -std::numeric_limits<T>::infinity()) continue;
      const std::size_t qrow = static_cast<std::size_t>((i * c.hq + h) * c.d);
      T dsum = 0, dsum_mag = 0, dsum_mag16 = 0;
      for (std::int64_t e = 0; e < c.d; ++e) {
        const auto ue = static_cast<std::size_t>(e);
        const T t = dout[qrow + ue] * r.o[qrow + ue];
        dsum += t;
        dsum_mag += std::fabs(t);
        if constexpr (kReference)
          dsum_mag16 += std::fabs(dout[qrow + ue]) * (r.o_mag16[qrow + ue] + std::fabs(r.o[qrow + ue]));
      }
      row_scores(c, in, i, h, s, vis, &s_mag);
      for (std::int64_t j = 0; j < c.lk; ++j) {
        if (!vis[static_cast<std::size_t>(j)]) continue;
        const std::size_t krow = static_cast<std::size_t>((j * c.hkv + g) * c.d);
        const T p = std::exp(s[static_cast<std::size_t>(j)] - lse);
        // P = exp(S − LSE) recomputed in f32 is off by P·δ, |δ| ≲ eps·(|S| terms + |LSE|):
        // an implementation that recomputes S in another summation order than its
        // forward (every tiled backward) carries that error into dV and dS, even where
        // P is exactly 1 for the naive code (a row that sees one key).
        const T p_err_mag = p * (s_mag[static_cast<std::size_t>(j)] + std::fabs(lse));
        T dp = 0, dp_mag = 0;
        for (std::int64_t e = 0; e < c.d; ++e) {
          const T t = dout[qrow + static_cast<std::size_t>(e)] * v[krow + static_cast<std::size_t>(e)];
          dp += t;
          dp_mag += std::fabs(t);
        }
        const T ds = p * (dp - dsum);
        const T ds_mag = p * (dp_mag + dsum_mag) + p_err_mag * std::fabs(dp - dsum);
        for (std::int64_t e = 0; e < c.d; ++e) {
          const auto ue = static_cast<std::size_t>(e);
          r.dq[qrow + ue] += scale * ds * k[krow + ue];
          r.dk[krow + ue] += scale * ds * q[qrow + ue];
          r.dv[krow + ue] += p * dout[qrow + ue];
          r.dq_mag[qrow + ue] += scale * ds_mag * std::fabs(k[krow + ue]);
          r.dk_mag[krow + ue] += scale * ds_mag * std::fabs(q[qrow + ue]);
          r.dv_mag[krow + ue] += (p + p_err_mag) * std::fabs(dout[qrow + ue]);
        }
        if constexpr (kReference) {
          const T ds16 = std::fabs(ds) + p * dsum_mag16;
          for (std::int64_t e = 0; e < c.d; ++e) {
            const auto ue = static_cast<std::size_t>(e);
            r.dq_mag16[qrow + ue] += scale * ds16 * std::fabs(k[krow + ue]);
            r.dk_mag16[krow + ue] += scale * ds16 * std::fabs(q[qrow + ue]);
            r.dv_mag16[krow + ue] += p * std::fabs(dout[qrow + ue]);
          }
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

}  // namespace ra::reference

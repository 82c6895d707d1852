// Attention on one process over all of a shard's tokens, row by row with a full softmax
// (f64 or f32): the reference the ring-backed model is compared with, and the attention
// of the finite-difference tests. Same semantics as the kernels (kernels/numerics.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/numerics.h"
#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"
#include "runtime/model/ring_attention_fn.h"

namespace ra::model::testing {

template <typename T>
class NaiveAttentionFn final : public AttentionFn<T> {
 public:
  NaiveAttentionFn(const ModelConfig& c, const std::int32_t* pos, const std::int32_t* seg, std::int64_t n)
      : c_(c), pos_(pos), seg_(seg), n_(n) {
    if (c.positions == Positions::kAlibi) {
      const std::vector<float> s = alibi_slopes(c.heads);
      slopes_.assign(s.begin(), s.end());
    }
  }

  void forward(const T* q, const T* k, const T* v, T* o, T* lse) override {
    std::vector<T> p(static_cast<std::size_t>(n_));
    for (std::int64_t h = 0; h < c_.heads; ++h) {
      for (std::int64_t i = 0; i < n_; ++i) {
        const T m = scores(q, k, h, i, p);
        T* oi = o + (i * c_.heads + h) * c_.head_dim;
        std::fill(oi, oi + c_.head_dim, T(0));
        if (m == -INFINITY) {
          lse[h * n_ + i] = static_cast<T>(-INFINITY);
          continue;
        }
        T sum = 0;
        for (std::int64_t j = 0; j < n_; ++j) sum += p[static_cast<std::size_t>(j)];
        for (std::int64_t j = 0; j < n_; ++j) {
          const T w = p[static_cast<std::size_t>(j)] / sum;
          const T* vj = v + (j * c_.kv_heads + kv(h)) * c_.head_dim;
          for (std::int64_t e = 0; e < c_.head_dim; ++e) oi[e] += w * vj[e];
        }
        lse[h * n_ + i] = m + std::log(sum);
      }
    }
  }

  void backward(const T* q, const T* k, const T* v, const T* o, const T* lse, const T* dout, T* dq, T* dk,
                T* dv) override {
    const std::int64_t D = c_.head_dim;
    std::fill(dq, dq + n_ * c_.heads * D, T(0));
    std::fill(dk, dk + n_ * c_.kv_heads * D, T(0));
    std::fill(dv, dv + n_ * c_.kv_heads * D, T(0));
    const T scale = T(1) / std::sqrt(static_cast<T>(D));
    std::vector<T> p(static_cast<std::size_t>(n_));
    for (std::int64_t h = 0; h < c_.heads; ++h) {
      for (std::int64_t i = 0; i < n_; ++i) {
        const T l = lse[h * n_ + i];
        if (l == -INFINITY) continue;
        const T m = scores(q, k, h, i, p);
        const T* doi = dout + (i * c_.heads + h) * D;
        const T* oi = o + (i * c_.heads + h) * D;
        T dsum = 0;
        for (std::int64_t e = 0; e < D; ++e) dsum += doi[e] * oi[e];
        for (std::int64_t j = 0; j < n_; ++j) {
          const T pj = p[static_cast<std::size_t>(j)] * std::exp(m - l);  // exp(s − m)·exp(m − LSE) = softmax
          if (pj == 0) continue;
          const T* vj = v + (j * c_.kv_heads + kv(h)) * D;
          const T* kj = k + (j * c_.kv_heads + kv(h)) * D;
          T dp = 0;
          for (std::int64_t e = 0; e < D; ++e) dp += doi[e] * vj[e];
          const T ds = pj * (dp - dsum);
          T* dvj = dv + (j * c_.kv_heads + kv(h)) * D;
          T* dkj = dk + (j * c_.kv_heads + kv(h)) * D;
          T* dqi = dq + (i * c_.heads + h) * D;
          const T* qi = q + (i * c_.heads + h) * D;
          for (std::int64_t e = 0; e < D; ++e) {
            dvj[e] += pj * doi[e];
            dqi[e] += scale * ds * kj[e];
            dkj[e] += scale * ds * qi[e];
          }
        }
      }
    }
  }

 private:
  std::int64_t kv(std::int64_t h) const { return h / (c_.heads / c_.kv_heads); }

  // p[j] = exp(score(i, j) − m) for visible keys (0 otherwise), m the row max (returned;
  // −inf when the row sees no key).
  T scores(const T* q, const T* k, std::int64_t h, std::int64_t i, std::vector<T>& p) const {
    const std::int64_t D = c_.head_dim;
    const T scale = T(1) / std::sqrt(static_cast<T>(D));
    T m = static_cast<T>(-INFINITY);
    std::vector<T> s(static_cast<std::size_t>(n_), static_cast<T>(-INFINITY));
    for (std::int64_t j = 0; j < n_; ++j) {
      if (!numerics::visible(c_.mask, pos_[i], seg_[i], pos_[j], seg_[j])) continue;
      const T* qi = q + (i * c_.heads + h) * D;
      const T* kj = k + (j * c_.kv_heads + kv(h)) * D;
      T dot = 0;
      for (std::int64_t e = 0; e < D; ++e) dot += qi[e] * kj[e];
      T x = scale * dot;
      if (!slopes_.empty()) x -= slopes_[static_cast<std::size_t>(h)] * static_cast<T>(std::abs(pos_[i] - pos_[j]));
      s[static_cast<std::size_t>(j)] = x;
      m = std::max(m, x);
    }
    for (std::int64_t j = 0; j < n_; ++j) {
      const T x = s[static_cast<std::size_t>(j)];
      p[static_cast<std::size_t>(j)] = x == -INFINITY ? T(0) : std::exp(x - m);
    }
    return m;
  }

  ModelConfig c_;
  const std::int32_t* pos_;
  const std::int32_t* seg_;
  std::int64_t n_;
  std::vector<T> slopes_;
};

}  // namespace ra::model::testing

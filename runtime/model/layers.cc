#include "runtime/model/layers.h"

#include <algorithm>
#include <cmath>

#include "kernels/gemm/gemm.h"

namespace ra::model {

using gemm::dense;
using gemm::Transpose;

template <typename T>
void linear_forward(const T* x, const T* w, T* y, std::int64_t n, std::int64_t in, std::int64_t out) {
  gemm::multiply(T(1), dense(x, n, in), Transpose::kNo, dense(w, out, in), Transpose::kYes, T(0), dense(y, n, out));
}

template <typename T>
void linear_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, std::int64_t n, std::int64_t in,
                     std::int64_t out, Accumulate dx_mode) {
  if (dx != nullptr)
    gemm::multiply(T(1), dense(dy, n, out), Transpose::kNo, dense(w, out, in), Transpose::kNo,
                   dx_mode == Accumulate::kAdd ? T(1) : T(0), dense(dx, n, in));
  gemm::multiply(T(1), dense(dy, n, out), Transpose::kYes, dense(x, n, in), Transpose::kNo, T(1), dense(dw, out, in));
}

template <typename T>
void rmsnorm_forward(const T* x, const T* g, T* y, T* r, std::int64_t n, std::int64_t d, T eps) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T* xi = x + i * d;
    T ss = 0;
    for (std::int64_t c = 0; c < d; ++c) ss += xi[c] * xi[c];
    const T ri = T(1) / std::sqrt(ss / static_cast<T>(d) + eps);
    r[i] = ri;
    for (std::int64_t c = 0; c < d; ++c) y[i * d + c] = xi[c] * ri * g[c];
  }
}

// With u = g∘dy: y_c = x_c·r·g_c, ∂r/∂x_c = −r³·x_c/d, so
// dx_c = r·u_c − r³·x_c·(Σ_k x_k·u_k)/d.
template <typename T>
void rmsnorm_backward(const T* x, const T* g, const T* r, const T* dy, T* dx, T* dg, std::int64_t n, std::int64_t d) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T* xi = x + i * d;
    const T* dyi = dy + i * d;
    const T ri = r[i];
    T dot = 0;
    for (std::int64_t c = 0; c < d; ++c) dot += xi[c] * g[c] * dyi[c];
    const T k = ri * ri * ri * dot / static_cast<T>(d);
    for (std::int64_t c = 0; c < d; ++c) {
      dx[i * d + c] += ri * g[c] * dyi[c] - k * xi[c];
      dg[c] += dyi[c] * xi[c] * ri;
    }
  }
}

template <typename T>
T sigmoid(T a) {
  return T(1) / (T(1) + std::exp(-a));
}

template <typename T>
void swiglu_forward(const T* a, const T* b, T* h, std::int64_t elems) {
  for (std::int64_t i = 0; i < elems; ++i) h[i] = a[i] * sigmoid(a[i]) * b[i];
}

template <typename T>
void swiglu_backward(const T* a, const T* b, const T* dh, T* da, T* db, std::int64_t elems) {
  for (std::int64_t i = 0; i < elems; ++i) {
    const T s = sigmoid(a[i]);
    da[i] = dh[i] * b[i] * s * (T(1) + a[i] * (T(1) - s));
    db[i] = dh[i] * a[i] * s;
  }
}

template <typename T>
void embedding_forward(const T* table, const std::int32_t* tokens, T* y, std::int64_t n, std::int64_t d) {
  for (std::int64_t i = 0; i < n; ++i) std::copy_n(table + static_cast<std::int64_t>(tokens[i]) * d, d, y + i * d);
}

template <typename T>
void embedding_backward(const std::int32_t* tokens, const T* dy, T* dtable, std::int64_t n, std::int64_t d) {
  for (std::int64_t i = 0; i < n; ++i) {
    T* row = dtable + static_cast<std::int64_t>(tokens[i]) * d;
    for (std::int64_t c = 0; c < d; ++c) row[c] += dy[i * d + c];
  }
}

// loss_i = logsumexp(logits_i) − logits_i[target], with the max subtracted first.
template <typename T>
double cross_entropy_forward(const T* logits, const std::int32_t* targets, std::int64_t n, std::int64_t vocab,
                             std::int64_t& valid_rows) {
  double total = 0;
  valid_rows = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (targets[i] < 0) continue;
    const T* li = logits + i * vocab;
    const T m = *std::max_element(li, li + vocab);
    double s = 0;
    for (std::int64_t c = 0; c < vocab; ++c) s += std::exp(static_cast<double>(li[c] - m));
    total += std::log(s) + static_cast<double>(m) - static_cast<double>(li[targets[i]]);
    ++valid_rows;
  }
  return total;
}

template <typename T>
void cross_entropy_backward(const T* logits, const std::int32_t* targets, T* dlogits, std::int64_t n,
                            std::int64_t vocab, T scale) {
  for (std::int64_t i = 0; i < n; ++i) {
    T* di = dlogits + i * vocab;
    if (targets[i] < 0) {
      std::fill_n(di, vocab, T(0));
      continue;
    }
    const T* li = logits + i * vocab;
    const T m = *std::max_element(li, li + vocab);
    T s = 0;
    for (std::int64_t c = 0; c < vocab; ++c) {
      di[c] = std::exp(li[c] - m);
      s += di[c];
    }
    const T inv = scale / s;
    for (std::int64_t c = 0; c < vocab; ++c) di[c] *= inv;
    di[targets[i]] -= scale;
  }
}

#define RA_MODEL_INSTANTIATE(T)                                                                                       \
  template void linear_forward<T>(const T*, const T*, T*, std::int64_t, std::int64_t, std::int64_t);                  \
  template void linear_backward<T>(const T*, const T*, const T*, T*, T*, std::int64_t, std::int64_t, std::int64_t,    \
                                   Accumulate);                                                                       \
  template void rmsnorm_forward<T>(const T*, const T*, T*, T*, std::int64_t, std::int64_t, T);                        \
  template void rmsnorm_backward<T>(const T*, const T*, const T*, const T*, T*, T*, std::int64_t, std::int64_t);      \
  template void swiglu_forward<T>(const T*, const T*, T*, std::int64_t);                                              \
  template void swiglu_backward<T>(const T*, const T*, const T*, T*, T*, std::int64_t);                               \
  template void embedding_forward<T>(const T*, const std::int32_t*, T*, std::int64_t, std::int64_t);                  \
  template void embedding_backward<T>(const std::int32_t*, const T*, T*, std::int64_t, std::int64_t);                 \
  template double cross_entropy_forward<T>(const T*, const std::int32_t*, std::int64_t, std::int64_t, std::int64_t&); \
  template void cross_entropy_backward<T>(const T*, const std::int32_t*, T*, std::int64_t, std::int64_t, T);
RA_MODEL_INSTANTIATE(float)
RA_MODEL_INSTANTIATE(double)
#undef RA_MODEL_INSTANTIATE

}  // namespace ra::model

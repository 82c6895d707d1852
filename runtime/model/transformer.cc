#include "runtime/model/transformer.h"

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "runtime/model/layers.h"
#include "runtime/model/rope.h"

namespace ra::model {

using gemm::dense;
using gemm::Transpose;

// One layer's working set, reused layer after layer (the only activations beyond the
// saved layer inputs).
template <typename T>
struct Transformer<T>::LayerWork {
  std::vector<T> a, r1, q, k, v, o, lse, y, b, r2, u, g, hgate;
  std::vector<T> dy, dhgate, du, dg, db, dout, dq, dk, dv, da;
  void resize(const ModelConfig& c, std::int64_t n) {
    const auto d = static_cast<std::size_t>(n * c.d_model), qf = static_cast<std::size_t>(n * c.q_features()),
               kf = static_cast<std::size_t>(n * c.kv_features()), hf = static_cast<std::size_t>(n * c.mlp_hidden),
               rows = static_cast<std::size_t>(n);
    for (auto* t : {&a, &y, &b, &dy, &db, &da}) t->resize(d);
    for (auto* t : {&q, &o, &dout, &dq}) t->resize(qf);
    for (auto* t : {&k, &v, &dk, &dv}) t->resize(kf);
    for (auto* t : {&u, &g, &hgate, &dhgate, &du, &dg}) t->resize(hf);
    for (auto* t : {&r1, &r2}) t->resize(rows);
    lse.resize(static_cast<std::size_t>(c.heads) * rows);
  }
};

// Everything forward_backward and forward_logits hold besides the caller's vectors: the
// saved layer inputs, one layer's working set and the head's buffers.
template <typename T>
struct Transformer<T>::Workspace {
  std::vector<std::vector<T>> xs;  // the input of every layer and of the head
  LayerWork w;
  std::vector<T> h, r, logits, dlogits, dh, dx;
  void resize(const ModelConfig& c, std::int64_t n) {
    const auto nd = static_cast<std::size_t>(n * c.d_model);
    xs.resize(static_cast<std::size_t>(std::max<std::int64_t>(c.layers + 1, 2)));
    for (auto& x : xs) x.resize(nd);
    w.resize(c, n);
  }
};

template <typename T>
Transformer<T>::Transformer(const ModelConfig& config)
    : config_(config), layout_(config), work_(std::make_unique<Workspace>()) {}
template <typename T>
Transformer<T>::~Transformer() = default;
template <typename T>
Transformer<T>::Transformer(Transformer&&) noexcept = default;
template <typename T>
Transformer<T>& Transformer<T>::operator=(Transformer&&) noexcept = default;

std::int64_t host_activation_bytes_per_token(const ModelConfig& c, std::int64_t elem_bytes) {
  // What forward_backward holds at once during the backward, per token:
  //   saved  every layer's input and the head's (xs: layers + 1 rows of d),
  //   work   one layer's working set (LayerWork, forward and backward buffers),
  //   head   the final norm's output h and its gradient dh, the residual stream's gradient
  //          dx, the norm's 1/rms r, the logits and their gradient.
  // tests/model/host_memory_test.cc checks it against the bytes the step allocates.
  const std::int64_t saved = (c.layers + 1) * c.d_model;
  const std::int64_t work = 6 * c.d_model + 4 * c.q_features() + 4 * c.kv_features() + 6 * c.mlp_hidden + 2 + c.heads;
  const std::int64_t head = 2 * c.vocab + 3 * c.d_model + 1;
  return (saved + work + head) * elem_bytes;
}

HostStepWork host_step_work(const ModelConfig& c) {
  const double d = static_cast<double>(c.d_model), qf = static_cast<double>(c.q_features()),
               kf = static_cast<double>(c.kv_features()), hid = static_cast<double>(c.mlp_hidden),
               vocab = static_cast<double>(c.vocab), layers = static_cast<double>(c.layers);
  HostStepWork w;
  const double layer_flops = 2 * (d * (qf + 2 * kf) + qf * d + 3 * d * hid);
  w.gemm_flops_per_token = layers * 4 * layer_flops + 3 * 2 * d * vocab;
  const double rope = c.positions == Positions::kRope ? qf + kf : 0.0;
  // Forward: norm, copy x → y, norm, SwiGLU, copy y → x' (+ RoPE). Backward: copy dx → dy,
  // SwiGLU', norm', copy dy → dx, norm' (+ RoPE⁻¹). The forward runs twice.
  w.elementwise_elems_per_token = layers * 3 * (4 * d + hid + rope) + 2 * vocab + 4 * d;
  return w;
}

template <typename T>
std::int64_t Transformer<T>::activation_bytes_per_token() const {
  return host_activation_bytes_per_token(config_, static_cast<std::int64_t>(sizeof(T)));
}

template <typename T>
void Transformer<T>::layer_forward(const T* p, const T* x, const TokenShard& s, AttentionFn<T>& attention, LayerWork& w,
                                   std::int64_t l, T* x_out) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  rmsnorm_forward<T>(x, p + lp.attn_norm, w.a.data(), w.r1.data(), n, d, static_cast<T>(c.norm_eps));
  linear_forward<T>(w.a.data(), p + lp.wq, w.q.data(), n, d, qf);
  linear_forward<T>(w.a.data(), p + lp.wk, w.k.data(), n, d, kf);
  linear_forward<T>(w.a.data(), p + lp.wv, w.v.data(), n, d, kf);
  if (c.positions == Positions::kRope) {
    rope_apply<T>(w.q.data(), s.positions, n, c.heads, c.head_dim, c.rope, RopeDirection::kForward);
    rope_apply<T>(w.k.data(), s.positions, n, c.kv_heads, c.head_dim, c.rope, RopeDirection::kForward);
  }
  attention.forward(w.q.data(), w.k.data(), w.v.data(), w.o.data(), w.lse.data());
  std::copy_n(x, n * d, w.y.data());
  gemm::multiply(T(1), dense<const T>(w.o.data(), n, qf), Transpose::kNo, dense(p + lp.wo, d, qf), Transpose::kYes,
                 T(1), dense(w.y.data(), n, d));
  rmsnorm_forward<T>(w.y.data(), p + lp.mlp_norm, w.b.data(), w.r2.data(), n, d, static_cast<T>(c.norm_eps));
  linear_forward<T>(w.b.data(), p + lp.w1, w.u.data(), n, d, hid);
  linear_forward<T>(w.b.data(), p + lp.w3, w.g.data(), n, d, hid);
  swiglu_forward<T>(w.u.data(), w.g.data(), w.hgate.data(), n * hid);
  std::copy_n(w.y.data(), n * d, x_out);
  gemm::multiply(T(1), dense<const T>(w.hgate.data(), n, hid), Transpose::kNo, dense(p + lp.w2, d, hid),
                 Transpose::kYes, T(1), dense(x_out, n, d));
}

// dx holds ∂L/∂x_{l+1} on entry and ∂L/∂x_l on return.
template <typename T>
void Transformer<T>::layer_backward(const T* p, const T* x, const TokenShard& s, AttentionFn<T>& attention,
                                    LayerWork& w, std::int64_t l, T* dx, T* grads) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  // Recompute this layer's activations. Its output (the next layer's input, saved already)
  // goes to w.dy, which is overwritten below before it is read.
  layer_forward(p, x, s, attention, w, l, w.dy.data());

  // MLP branch: x' = y + hgate·W₂ᵀ.
  std::copy_n(dx, n * d, w.dy.data());
  linear_backward<T>(w.hgate.data(), p + lp.w2, dx, w.dhgate.data(), grads + lp.w2, n, hid, d, Accumulate::kOverwrite);
  swiglu_backward<T>(w.u.data(), w.g.data(), w.dhgate.data(), w.du.data(), w.dg.data(), n * hid);
  linear_backward<T>(w.b.data(), p + lp.w1, w.du.data(), w.db.data(), grads + lp.w1, n, d, hid, Accumulate::kOverwrite);
  linear_backward<T>(w.b.data(), p + lp.w3, w.dg.data(), w.db.data(), grads + lp.w3, n, d, hid, Accumulate::kAdd);
  rmsnorm_backward<T>(w.y.data(), p + lp.mlp_norm, w.r2.data(), w.db.data(), w.dy.data(), grads + lp.mlp_norm, n, d);

  // Attention branch: y = x + o·Woᵀ.
  std::copy_n(w.dy.data(), n * d, dx);
  linear_backward<T>(w.o.data(), p + lp.wo, w.dy.data(), w.dout.data(), grads + lp.wo, n, qf, d,
                     Accumulate::kOverwrite);
  attention.backward(w.q.data(), w.k.data(), w.v.data(), w.o.data(), w.lse.data(), w.dout.data(), w.dq.data(),
                     w.dk.data(), w.dv.data());
  if (c.positions == Positions::kRope) {
    rope_apply<T>(w.dq.data(), s.positions, n, c.heads, c.head_dim, c.rope, RopeDirection::kInverse);
    rope_apply<T>(w.dk.data(), s.positions, n, c.kv_heads, c.head_dim, c.rope, RopeDirection::kInverse);
  }
  // a = RMSNorm(x) feeds q, k and v: its gradient is the sum of the three.
  linear_backward<T>(w.a.data(), p + lp.wq, w.dq.data(), w.da.data(), grads + lp.wq, n, d, qf, Accumulate::kOverwrite);
  linear_backward<T>(w.a.data(), p + lp.wk, w.dk.data(), w.da.data(), grads + lp.wk, n, d, kf, Accumulate::kAdd);
  linear_backward<T>(w.a.data(), p + lp.wv, w.dv.data(), w.da.data(), grads + lp.wv, n, d, kf, Accumulate::kAdd);
  rmsnorm_backward<T>(x, p + lp.attn_norm, w.r1.data(), w.da.data(), dx, grads + lp.attn_norm, n, d);
}

template <typename T>
void Transformer<T>::final_logits(const T* p, const T* x_last, std::int64_t n, std::vector<T>& h, std::vector<T>& r,
                                  std::vector<T>& logits) {
  const ModelConfig& c = config_;
  h.resize(static_cast<std::size_t>(n * c.d_model));
  r.resize(static_cast<std::size_t>(n));
  logits.resize(static_cast<std::size_t>(n * c.vocab));
  rmsnorm_forward<T>(x_last, p + layout_.final_norm(), h.data(), r.data(), n, c.d_model, static_cast<T>(c.norm_eps));
  linear_forward<T>(h.data(), p + layout_.lm_head(), logits.data(), n, c.d_model, c.vocab);
}

template <typename T>
void Transformer<T>::forward_logits(const std::vector<T>& params, const TokenShard& s, AttentionFn<T>& attention,
                                    std::vector<T>& logits) {
  const ModelConfig& c = config_;
  const T* p = params.data();
  Workspace& ws = *work_;
  ws.resize(c, s.n);
  T* x = ws.xs[0].data();
  T* x_next = ws.xs[1].data();
  embedding_forward<T>(p + layout_.embed(), s.tokens, x, s.n, c.d_model);
  for (std::int64_t l = 0; l < c.layers; ++l) {
    layer_forward(p, x, s, attention, ws.w, l, x_next);
    std::swap(x, x_next);
  }
  final_logits(p, x, s.n, ws.h, ws.r, logits);
}

template <typename T>
StepLoss Transformer<T>::forward_backward(const std::vector<T>& params, const TokenShard& s, AttentionFn<T>& attention,
                                          T loss_scale, std::vector<T>& grads) {
  const ModelConfig& c = config_;
  const T* p = params.data();
  T* gp = grads.data();
  const std::int64_t n = s.n, d = c.d_model;
  Workspace& ws = *work_;
  ws.resize(c, n);
  // Saved activations: the input of every layer and of the head.
  std::vector<std::vector<T>>& xs = ws.xs;
  LayerWork& w = ws.w;
  embedding_forward<T>(p + layout_.embed(), s.tokens, xs[0].data(), n, d);
  for (std::int64_t l = 0; l < c.layers; ++l)
    layer_forward(p, xs[static_cast<std::size_t>(l)].data(), s, attention, w, l,
                  xs[static_cast<std::size_t>(l + 1)].data());

  std::vector<T>&h = ws.h, &r = ws.r, &logits = ws.logits;
  const T* x_last = xs[static_cast<std::size_t>(c.layers)].data();
  final_logits(p, x_last, n, h, r, logits);
  StepLoss out;
  out.loss_sum = cross_entropy_forward<T>(logits.data(), s.targets, n, c.vocab, out.valid_rows);
  std::vector<T>&dlogits = ws.dlogits, &dh = ws.dh, &dx = ws.dx;
  dlogits.resize(logits.size());
  dh.resize(h.size());
  dx.assign(static_cast<std::size_t>(n * d), T(0));
  cross_entropy_backward<T>(logits.data(), s.targets, dlogits.data(), n, c.vocab, loss_scale);
  linear_backward<T>(h.data(), p + layout_.lm_head(), dlogits.data(), dh.data(), gp + layout_.lm_head(), n, d, c.vocab,
                     Accumulate::kOverwrite);
  rmsnorm_backward<T>(x_last, p + layout_.final_norm(), r.data(), dh.data(), dx.data(), gp + layout_.final_norm(), n,
                      d);
  for (std::int64_t l = c.layers - 1; l >= 0; --l)
    layer_backward(p, xs[static_cast<std::size_t>(l)].data(), s, attention, w, l, dx.data(), gp);
  embedding_backward<T>(s.tokens, dx.data(), gp + layout_.embed(), n, d);
  return out;
}

template class Transformer<float>;
template class Transformer<double>;

}  // namespace ra::model

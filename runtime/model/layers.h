// The layers of the decoder-only transformer (runtime/model/transformer.h), each a
// forward and a backward over row-major [tokens, features] arrays, templated on the
// element type: f32 for training, f64 for the finite-difference tests. Backward
// functions accumulate parameter gradients (+=) and overwrite input gradients unless
// stated otherwise. The math is written next to each function.
#pragma once

#include <cstdint>

namespace ra::model {

// y[n, out] = x[n, in] · Wᵀ, W [out, in].
template <typename T>
void linear_forward(const T* x, const T* w, T* y, std::int64_t n, std::int64_t in, std::int64_t out);
// dx = dy · W (dx += when accumulate), dW += dyᵀ · x.
enum class Accumulate : std::uint8_t { kOverwrite, kAdd };
template <typename T>
void linear_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, std::int64_t n, std::int64_t in,
                     std::int64_t out, Accumulate dx_mode);

// RMSNorm: y = x · r · g with r = 1/sqrt(mean(x²) + eps) per row; r is saved.
template <typename T>
void rmsnorm_forward(const T* x, const T* g, T* y, T* r, std::int64_t n, std::int64_t d, T eps);
// dx = r·(g∘dy) − r³·x·mean(x∘g∘dy);  dg += Σ_rows dy∘x·r.  dx is added to (+=): the
// residual stream's gradient flows around the norm.
template <typename T>
void rmsnorm_backward(const T* x, const T* g, const T* r, const T* dy, T* dx, T* dg, std::int64_t n, std::int64_t d);

// SwiGLU gate: h = silu(a) ∘ b, silu(a) = a·σ(a).
template <typename T>
void swiglu_forward(const T* a, const T* b, T* h, std::int64_t elems);
// da = dh ∘ b ∘ σ(a)(1 + a(1 − σ(a))),  db = dh ∘ silu(a).
template <typename T>
void swiglu_backward(const T* a, const T* b, const T* dh, T* da, T* db, std::int64_t elems);

// Embedding rows: y[i] = table[token[i]].
template <typename T>
void embedding_forward(const T* table, const std::int32_t* tokens, T* y, std::int64_t n, std::int64_t d);
// dtable[token[i]] += dy[i], in token order (deterministic).
template <typename T>
void embedding_backward(const std::int32_t* tokens, const T* dy, T* dtable, std::int64_t n, std::int64_t d);

// Cross-entropy of logits [n, V] against targets (−1: no loss): returns the sum of
// −log softmax(logits)[target] over rows with a target; `valid_rows` gets their count.
// dlogits = (softmax − onehot(target)) · scale on those rows, 0 on others.
template <typename T>
double cross_entropy_forward(const T* logits, const std::int32_t* targets, std::int64_t n, std::int64_t vocab,
                             std::int64_t& valid_rows);
template <typename T>
void cross_entropy_backward(const T* logits, const std::int32_t* targets, T* dlogits, std::int64_t n,
                            std::int64_t vocab, T scale);

}  // namespace ra::model

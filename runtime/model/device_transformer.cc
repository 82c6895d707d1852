#include "runtime/model/device_transformer.h"

#include <algorithm>
#include <string>

#include "kernels/cuda/host/model_grid.h"
#include "runtime/core/check.h"
#include "runtime/core/error.h"

namespace ra::model {

namespace kc = kernels::cuda;
using gemm::RowMajorGemm;
using gemm::Transpose;

namespace {

constexpr kc::ModelStorage kStorage = kc::ModelStorage::kF32;  // fp32 activations (first version)

kc::RopeKernelScaling kernel_scaling(RopeScaling s) {
  switch (s) {
    case RopeScaling::kNone: return kc::RopeKernelScaling::kNone;
    case RopeScaling::kLinear: return kc::RopeKernelScaling::kLinear;
    case RopeScaling::kNtk: return kc::RopeKernelScaling::kNtk;
  }
  throw InternalError("device transformer: unknown RoPE scaling");
}

void check_f32_vector(const ConstTensorView& v, std::int64_t elems, const char* what) {
  RA_CHECK(UsageError, v.dtype() == DType::kF32, std::string("device transformer: ") + what + " must be f32");
  RA_CHECK_EQ(UsageError, v.numel_elems(), elems, std::string("device transformer: elements of ") + what);
}

// One ModelKernels entry point as one piece of the stream's work: `params` (a POD) is
// copied into the work item; on CUDA the kernel is enqueued on the stream's handle.
template <typename P>
void launch_kernel(device::Stream& s, const char* label, void (*fn)(kc::ModelStorage, const P&, void*), const P& params) {
  s.launch(label, [&s, fn, params] { fn(kStorage, params, s.native_handle()); });
}
template <typename P>
void launch_kernel(device::Stream& s, const char* label, void (*fn)(const P&, void*), const P& params) {
  s.launch(label, [&s, fn, params] { fn(params, s.native_handle()); });
}

}  // namespace

// Device memory of one shard size: the saved layer inputs, one layer's working set
// (transformer.cc's LayerWork, on the device), the head's tensors and the kernels'
// workspaces. Allocated once per token count and reused call after call.
struct DeviceTransformer::Work {
  std::int64_t n = -1;
  std::vector<std::unique_ptr<device::DeviceBuffer>> buffers;

  template <typename T>
  T* take(device::Device& dev, std::int64_t elems) {
    // Never a zero-byte allocation (n = 0 still gets valid pointers).
    buffers.push_back(dev.allocate(sizeof(T) * static_cast<std::size_t>(std::max<std::int64_t>(elems, 1))));
    return static_cast<T*>(buffers.back()->raw());
  }

  float* xs = nullptr;  // [(layers + 1), n, d]: the input of every layer and of the head
  float *a, *r1, *q, *k, *v, *o, *lse, *y, *b, *r2, *u, *g, *hgate, *x_next;
  float *dy, *dhgate, *du, *dg, *db, *dout, *dq, *dk, *dv, *da;
  float *h, *r, *logits, *dlogits, *dh, *dx, *row_loss, *row_lse;
  std::int32_t* links = nullptr;     // embedding backward
  float* dg_partials = nullptr;      // RMSNorm backward's partial rows of dg
  double* partial_sums = nullptr;    // the loss reduction's partials
  std::int64_t* partial_counts = nullptr;
  kc::DeviceSum* loss = nullptr;     // [1]: Σ row loss and the valid-row count

  void allocate(device::Device& dev, const ModelConfig& c, std::int64_t rows) {
    buffers.clear();
    n = rows;
    const std::int64_t d = rows * c.d_model, qf = rows * c.q_features(), kf = rows * c.kv_features(),
                       hf = rows * c.mlp_hidden, vf = rows * c.vocab;
    xs = take<float>(dev, (c.layers + 1) * d);
    for (float** t : {&a, &y, &b, &x_next, &dy, &db, &da, &h, &dh, &dx}) *t = take<float>(dev, d);
    for (float** t : {&q, &o, &dout, &dq}) *t = take<float>(dev, qf);
    for (float** t : {&k, &v, &dk, &dv}) *t = take<float>(dev, kf);
    for (float** t : {&u, &g, &hgate, &dhgate, &du, &dg}) *t = take<float>(dev, hf);
    for (float** t : {&r1, &r2, &r, &row_loss, &row_lse}) *t = take<float>(dev, rows);
    lse = take<float>(dev, c.heads * rows);
    logits = take<float>(dev, vf);
    dlogits = take<float>(dev, vf);
    links = take<std::int32_t>(dev, kc::embedding_backward_workspace_elems(rows));
    dg_partials = take<float>(dev, kc::rmsnorm_backward_workspace_elems(rows, c.d_model));
    partial_sums = take<double>(dev, kc::reduce_workspace_elems(rows));
    partial_counts = take<std::int64_t>(dev, kc::reduce_workspace_elems(rows));
    loss = take<kc::DeviceSum>(dev, 1);
  }
};

DeviceTransformer::DeviceTransformer(const ModelConfig& config, const DeviceModelContext& ctx)
    : config_(config), layout_(config), ctx_(ctx) {
  validate_model_config(config_);
}

DeviceTransformer::~DeviceTransformer() {
  // Work still queued on the stream reads the buffers: let it finish before they go.
  try {
    ctx_.stream.synchronize();
  } catch (...) {  // NOLINT(bugprone-empty-catch): the call that enqueued the failed work has reported it
  }
}

DeviceTransformer::Work& DeviceTransformer::work_for(std::int64_t n) {
  RA_CHECK(UsageError, n >= 0, "device transformer: negative token count");
  if (!work_) work_ = std::make_unique<Work>();
  if (work_->n != n) {
    ctx_.stream.synchronize();  // the old buffers may still be read by queued work
    work_->allocate(ctx_.device, config_, n);
  }
  return *work_;
}

std::int64_t DeviceTransformer::activation_bytes_per_token() const {
  const ModelConfig& c = config_;
  const std::int64_t saved = (c.layers + 1) * c.d_model;
  const std::int64_t work = 7 * c.d_model + 4 * c.q_features() + 4 * c.kv_features() + 6 * c.mlp_hidden + 2 + c.heads;
  const std::int64_t head = 2 * c.vocab + 3 * c.d_model + 3;
  return (saved + work + head) * static_cast<std::int64_t>(sizeof(float));
}

// ---- building blocks ------------------------------------------------------------------

// Row-major GEMMs as layers.h writes them; the DeviceGemm maps them onto cuBLAS's
// column-major arguments. The call runs inside the stream's work: on CPU streams the
// CPU executor then runs in stream order; on CUDA, launch runs it at once and cuBLAS
// enqueues on its (the same) stream.
void DeviceTransformer::linear_forward(const float* x, const float* w, float* y, std::int64_t n, std::int64_t in,
                                       std::int64_t out, Output mode) {
  RowMajorGemm g;
  g.trans_a = Transpose::kNo;   // x [n, in]
  g.trans_b = Transpose::kYes;  // W [out, in], used as Wᵀ
  g.m = n;
  g.n = out;
  g.k = in;
  g.lda_elems = in;
  g.ldb_elems = in;
  g.ldc_elems = out;
  const float beta = mode == Output::kAccumulate ? 1.0f : 0.0f;
  gemm::DeviceGemm& engine = ctx_.gemm;
  ctx_.stream.launch("linear fwd", [&engine, g, x, w, y, beta] { engine.multiply(g, 1.0f, x, w, beta, y); });
}

void DeviceTransformer::linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                                        std::int64_t n, std::int64_t in, std::int64_t out, Output dx_mode) {
  // dx[n, in] = dy[n, out] · W[out, in]
  RowMajorGemm gx;
  gx.trans_a = Transpose::kNo;
  gx.trans_b = Transpose::kNo;
  gx.m = n;
  gx.n = in;
  gx.k = out;
  gx.lda_elems = out;
  gx.ldb_elems = in;
  gx.ldc_elems = in;
  // dW[out, in] += dyᵀ · x: dy [n, out] used transposed, x [n, in]; the sum runs over tokens.
  RowMajorGemm gw;
  gw.trans_a = Transpose::kYes;
  gw.trans_b = Transpose::kNo;
  gw.m = out;
  gw.n = in;
  gw.k = n;
  gw.lda_elems = out;
  gw.ldb_elems = in;
  gw.ldc_elems = in;
  const float beta_x = dx_mode == Output::kAccumulate ? 1.0f : 0.0f;
  gemm::DeviceGemm& engine = ctx_.gemm;
  ctx_.stream.launch("linear bwd", [&engine, gx, gw, x, w, dy, dx, dw, beta_x] {
    engine.multiply(gx, 1.0f, dy, w, beta_x, dx);
    engine.multiply(gw, 1.0f, dy, x, 1.0f, dw);
  });
}

void DeviceTransformer::rope(float* x, const std::int32_t* positions, std::int64_t n, std::int64_t heads,
                             kc::RopeKernelDirection direction) {
  const ModelConfig& c = config_;
  const kc::RopeConstants rc = kc::rope_constants(kernel_scaling(c.rope.scaling), c.rope.base, c.rope.factor, c.head_dim);
  const kc::RopeParams p{x, positions, n, heads, c.head_dim, rc.effective_base, rc.position_scale, direction};
  const kc::ModelKernels& k = ctx_.kernels;
  device::Stream& s = ctx_.stream;
  s.launch("rope", [&k, &s, p] { k.rope(kStorage, p, s.native_handle()); });
}

void DeviceTransformer::copy_f32(float* dst, const float* src, std::int64_t elems) {
  const DeviceKind kind = ctx_.device.kind();
  ctx_.device.copy(TensorView(dst, DType::kF32, Shape{elems}, kind), ConstTensorView(src, DType::kF32, Shape{elems}, kind),
                   ctx_.stream);
}

void DeviceTransformer::zero_f32(float* dst, std::int64_t elems) {
  ctx_.device.fill_zero(TensorView(dst, DType::kF32, Shape{elems}, ctx_.device.kind()), ctx_.stream);
}


// ---- the layers -------------------------------------------------------------------------

void DeviceTransformer::layer_forward(const float* p, const float* x, const DeviceTokenShard& s,
                                      DeviceAttentionFn& attention, std::int64_t l, float* x_out) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  Work& w = *work_;
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  const auto eps = static_cast<float>(c.norm_eps);
  // a = RMSNorm(x; g₁);  q, k, v = a·W{q,k,v}ᵀ — [n, H, D] as they come out of the GEMM,
  // the layout attention_fn.h takes (no conversion, as on the CPU).
  launch_kernel(ctx_.stream, "attn norm", ctx_.kernels.rmsnorm_forward,
                   (kc::RmsNormForwardParams{x, p + lp.attn_norm, w.a, w.r1, n, d, eps}));
  linear_forward(w.a, p + lp.wq, w.q, n, d, qf, Output::kOverwrite);
  linear_forward(w.a, p + lp.wk, w.k, n, d, kf, Output::kOverwrite);
  linear_forward(w.a, p + lp.wv, w.v, n, d, kf, Output::kOverwrite);
  if (c.positions == Positions::kRope) {
    rope(w.q, s.positions, n, c.heads, kc::RopeKernelDirection::kForward);
    rope(w.k, s.positions, n, c.kv_heads, kc::RopeKernelDirection::kForward);
  }
  attention.forward(w.q, w.k, w.v, w.o, w.lse);
  // y = x + o·Woᵀ: C starts as x, the GEMM adds (beta 1), as transformer.cc does.
  copy_f32(w.y, x, n * d);
  linear_forward(w.o, p + lp.wo, w.y, n, qf, d, Output::kAccumulate);
  // b = RMSNorm(y; g₂);  x' = y + (silu(b·W₁ᵀ) ∘ b·W₃ᵀ)·W₂ᵀ
  launch_kernel(ctx_.stream, "mlp norm", ctx_.kernels.rmsnorm_forward,
                   (kc::RmsNormForwardParams{w.y, p + lp.mlp_norm, w.b, w.r2, n, d, eps}));
  linear_forward(w.b, p + lp.w1, w.u, n, d, hid, Output::kOverwrite);
  linear_forward(w.b, p + lp.w3, w.g, n, d, hid, Output::kOverwrite);
  launch_kernel(ctx_.stream, "swiglu", ctx_.kernels.swiglu_forward, (kc::SwigluForwardParams{w.u, w.g, w.hgate, n * hid}));
  copy_f32(x_out, w.y, n * d);
  linear_forward(w.hgate, p + lp.w2, x_out, n, hid, d, Output::kAccumulate);
}

// dx holds ∂L/∂x_{l+1} on entry and ∂L/∂x_l on return; parameter gradients are added.
void DeviceTransformer::layer_backward(const float* p, const float* x, const DeviceTokenShard& s,
                                       DeviceAttentionFn& attention, std::int64_t l, float* dx, float* grads) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  Work& w = *work_;
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  layer_forward(p, x, s, attention, l, w.x_next);  // recompute this layer's activations

  // MLP branch: x' = y + hgate·W₂ᵀ, so ∂L/∂y = ∂L/∂x' + (the MLP's path through RMSNorm).
  copy_f32(w.dy, dx, n * d);
  linear_backward(w.hgate, p + lp.w2, dx, w.dhgate, grads + lp.w2, n, hid, d, Output::kOverwrite);
  launch_kernel(ctx_.stream, "swiglu bwd", ctx_.kernels.swiglu_backward,
                   (kc::SwigluBackwardParams{w.u, w.g, w.dhgate, w.du, w.dg, n * hid}));
  linear_backward(w.b, p + lp.w1, w.du, w.db, grads + lp.w1, n, d, hid, Output::kOverwrite);
  linear_backward(w.b, p + lp.w3, w.dg, w.db, grads + lp.w3, n, d, hid, Output::kAccumulate);
  // dy += RMSNorm'(y)ᵀ·db;  dg₂ += Σ_rows db∘y·r₂
  launch_kernel(ctx_.stream, "mlp norm bwd", ctx_.kernels.rmsnorm_backward,
                   (kc::RmsNormBackwardParams{w.y, p + lp.mlp_norm, w.r2, w.db, w.dy, grads + lp.mlp_norm,
                                              w.dg_partials, n, d}));

  // Attention branch: y = x + o·Woᵀ.
  copy_f32(dx, w.dy, n * d);
  linear_backward(w.o, p + lp.wo, w.dy, w.dout, grads + lp.wo, n, qf, d, Output::kOverwrite);
  attention.backward(w.q, w.k, w.v, w.o, w.lse, w.dout, w.dq, w.dk, w.dv);
  if (c.positions == Positions::kRope) {
    // The backward of a rotation is the rotation by −angle.
    rope(w.dq, s.positions, n, c.heads, kc::RopeKernelDirection::kInverse);
    rope(w.dk, s.positions, n, c.kv_heads, kc::RopeKernelDirection::kInverse);
  }
  // a = RMSNorm(x) feeds q, k and v: its gradient is the sum of the three.
  linear_backward(w.a, p + lp.wq, w.dq, w.da, grads + lp.wq, n, d, qf, Output::kOverwrite);
  linear_backward(w.a, p + lp.wk, w.dk, w.da, grads + lp.wk, n, d, kf, Output::kAccumulate);
  linear_backward(w.a, p + lp.wv, w.dv, w.da, grads + lp.wv, n, d, kf, Output::kAccumulate);
  launch_kernel(ctx_.stream, "attn norm bwd", ctx_.kernels.rmsnorm_backward,
                   (kc::RmsNormBackwardParams{x, p + lp.attn_norm, w.r1, w.da, dx, grads + lp.attn_norm,
                                              w.dg_partials, n, d}));
}

// logits = RMSNorm(x_L; g)·Headᵀ; h and r stay in the work buffers for the backward.
void DeviceTransformer::final_logits(const float* p, const float* x_last, std::int64_t n, float* logits) {
  const ModelConfig& c = config_;
  Work& w = *work_;
  launch_kernel(ctx_.stream, "final norm", ctx_.kernels.rmsnorm_forward,
                   (kc::RmsNormForwardParams{x_last, p + layout_.final_norm(), w.h, w.r, n, c.d_model,
                                             static_cast<float>(c.norm_eps)}));
  linear_forward(w.h, p + layout_.lm_head(), logits, n, c.d_model, c.vocab, Output::kOverwrite);
}

void DeviceTransformer::forward_logits(ConstTensorView params, const DeviceTokenShard& s, DeviceAttentionFn& attention,
                                       TensorView logits) {
  const ModelConfig& c = config_;
  check_f32_vector(params, layout_.total_elems(), "params");
  RA_CHECK(UsageError, logits.dtype() == DType::kF32, "device transformer: logits must be f32");
  RA_CHECK_EQ(UsageError, logits.numel_elems(), s.n * c.vocab, "device transformer: logits elements (n · vocab)");
  Work& w = work_for(s.n);
  const float* p = params.data<float>();
  const std::int64_t n = s.n, d = c.d_model;
  // Two of the saved-input slots serve as the ping-pong pair (no backward follows).
  float* x = w.xs;
  float* x_next = w.xs + n * d;
  launch_kernel(ctx_.stream, "embedding", ctx_.kernels.embedding_forward,
                   (kc::EmbeddingForwardParams{p + layout_.embed(), s.tokens, x, n, d, c.vocab}));
  for (std::int64_t l = 0; l < c.layers; ++l) {
    layer_forward(p, x, s, attention, l, x_next);
    std::swap(x, x_next);
  }
  final_logits(p, x, n, logits.data<float>());
}

StepLoss DeviceTransformer::forward_backward(ConstTensorView params, const DeviceTokenShard& s,
                                             DeviceAttentionFn& attention, float loss_scale, TensorView grads) {
  const ModelConfig& c = config_;
  check_f32_vector(params, layout_.total_elems(), "params");
  check_f32_vector(grads, layout_.total_elems(), "grads");
  Work& w = work_for(s.n);
  const float* p = params.data<float>();
  float* gp = grads.data<float>();
  const std::int64_t n = s.n, d = c.d_model;
  const auto x_at = [&](std::int64_t l) { return w.xs + l * n * d; };

  launch_kernel(ctx_.stream, "embedding", ctx_.kernels.embedding_forward,
                   (kc::EmbeddingForwardParams{p + layout_.embed(), s.tokens, x_at(0), n, d, c.vocab}));
  for (std::int64_t l = 0; l < c.layers; ++l) layer_forward(p, x_at(l), s, attention, l, x_at(l + 1));
  final_logits(p, x_at(c.layers), n, w.logits);

  // Loss: per-row −log softmax[target] (0 on rows without a target), then one
  // deterministic double sum with the count of rows that have a target.
  launch_kernel(ctx_.stream, "cross-entropy", ctx_.kernels.cross_entropy_forward,
                   (kc::CrossEntropyForwardParams{w.logits, s.targets, w.row_loss, w.row_lse, n, c.vocab}));
  launch_kernel(ctx_.stream, "loss sum", ctx_.kernels.sum_reduce,
                   (kc::SumReduceParams{w.row_loss, s.targets, w.partial_sums, w.partial_counts, w.loss, n,
                                        kc::ReduceTerm::kValue}));

  // dlogits = (softmax − onehot)·scale;  dh = dlogits·Head, dHead += dlogitsᵀ·h
  launch_kernel(ctx_.stream, "cross-entropy bwd", ctx_.kernels.cross_entropy_backward,
                   (kc::CrossEntropyBackwardParams{w.logits, s.targets, w.row_lse, w.dlogits, n, c.vocab, loss_scale}));
  linear_backward(w.h, p + layout_.lm_head(), w.dlogits, w.dh, gp + layout_.lm_head(), n, d, c.vocab,
                  Output::kOverwrite);
  zero_f32(w.dx, n * d);
  launch_kernel(ctx_.stream, "final norm bwd", ctx_.kernels.rmsnorm_backward,
                   (kc::RmsNormBackwardParams{x_at(c.layers), p + layout_.final_norm(), w.r, w.dh, w.dx,
                                              gp + layout_.final_norm(), w.dg_partials, n, d}));
  for (std::int64_t l = c.layers - 1; l >= 0; --l) layer_backward(p, x_at(l), s, attention, l, w.dx, gp);
  // dE[token] += dx in token order (tied: on top of the head's dE·h contribution).
  launch_kernel(ctx_.stream, "embedding bwd", ctx_.kernels.embedding_backward,
                   (kc::EmbeddingBackwardParams{s.tokens, w.dx, gp + layout_.embed(), w.links, n, d, c.vocab}));
  // The one wait of the step. DeviceSum is {double, int64}: downloaded as two 8-byte slots.
  static_assert(sizeof(kc::DeviceSum) == 2 * sizeof(double), "DeviceSum is downloaded as two 8-byte slots");
  kc::DeviceSum host_loss{};
  ctx_.device.download(&host_loss, ConstTensorView(w.loss, DType::kF64, Shape{2}, ctx_.device.kind()), ctx_.stream);
  ctx_.stream.synchronize();
  return {host_loss.sum, host_loss.count};
}

}  // namespace ra::model

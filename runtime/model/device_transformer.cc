#include "runtime/model/device_transformer.h"

#include <algorithm>
#include <string>

#include "kernels/cuda/host/model_grid.h"
#include "runtime/core/check.h"
#include "runtime/core/error.h"

namespace ra::model {

namespace kc = kernels::cuda;
using gemm::ElementType;
using gemm::RowMajorGemm;
using gemm::Transpose;

namespace {

// A device tensor's address and element type: f32, or bf16 for the activations and GEMM
// operands of kBf16Activations.
struct Ref {
  void* p = nullptr;
  ElementType t = ElementType::kF32;
  float* f32() const { return static_cast<float*>(p); }
  // The tensor `elems` elements further on.
  Ref at(std::int64_t elems) const { return {static_cast<char*>(p) + elems * gemm::element_size_bytes(t), t}; }
};

kc::ModelStorage storage_of(ElementType t) {
  return t == ElementType::kBF16 ? kc::ModelStorage::kBf16 : kc::ModelStorage::kF32;
}

DType dtype_of(ElementType t) { return t == ElementType::kBF16 ? DType::kBF16 : DType::kF32; }

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
void launch_kernel(device::Stream& s, const char* label, void (*fn)(kc::ModelStorage, const P&, void*),
                   kc::ModelStorage storage, const P& params) {
  s.launch(label, [&s, fn, storage, params] { fn(storage, params, s.native_handle()); });
}
template <typename P>
void launch_kernel(device::Stream& s, const char* label, void (*fn)(const P&, void*), const P& params) {
  s.launch(label, [&s, fn, params] { fn(params, s.native_handle()); });
}

}  // namespace

// Device memory of one shard size: the saved layer inputs, one layer's working set
// (transformer.cc's LayerWork, on the device), the head's tensors and the kernels'
// workspaces; allocated once per token count and reused. Names follow transformer.cc.
// Under kF32 the "operand copies" (q32 of q, dx_op of dx, ...) are the tensors
// themselves and the casts between them are skipped, so both precisions run one code
// path; under kBf16Activations they are the other dtype's buffers.
struct DeviceTransformer::Work {
  std::int64_t n = -1;
  std::vector<std::unique_ptr<device::DeviceBuffer>> buffers;
  ElementType act = ElementType::kF32;  // activations and GEMM operands

  Ref take(device::Device& dev, ElementType t, std::int64_t elems) {
    // Never a zero-byte allocation (n = 0 still gets valid pointers).
    const auto bytes = static_cast<std::size_t>(std::max<std::int64_t>(elems, 1) * gemm::element_size_bytes(t));
    buffers.push_back(dev.allocate(bytes));
    return {buffers.back()->raw(), t};
  }
  // `wide` (f32) itself under kF32, else a new buffer of the activation type.
  Ref shadow(device::Device& dev, Ref wide, std::int64_t elems) {
    return act == ElementType::kF32 ? wide : take(dev, act, elems);
  }
  // `narrow` (activation type) itself under kF32, else a new f32 buffer.
  Ref widened(device::Device& dev, Ref narrow, std::int64_t elems) {
    return act == ElementType::kF32 ? narrow : take(dev, ElementType::kF32, elems);
  }

  // Activations (act): the saved layer inputs [(L+1), n, d] and one layer's tensors.
  Ref xs, a, q, k, v, o_op, y, b, u, g, hgate, x_next, h, dhgate, du, dg, dh;
  // The attention's side (f32): its inputs and outputs, and the gradients it returns.
  Ref q32, k32, v32, o, lse, dout, dq, dk, dv;
  // Gradients accumulated in f32 (the residual stream's dx and dy, the sums da and db)
  // and their GEMM-operand copies (act).
  Ref dx, dy, db, da, dx_op, dy_op, db_op, da_op, dq_op, dk_op, dv_op;
  // Head and loss: logits and their gradient f32, its operand copy.
  Ref logits, dlogits, dlogits_op;
  float *r1 = nullptr, *r2 = nullptr, *r = nullptr, *row_loss = nullptr, *row_lse = nullptr;
  std::int32_t* links = nullptr;       // embedding backward
  std::int32_t* zero_index = nullptr;  // [1] = 0: the f32 → bf16 cast (see cast())
  float* dg_partials = nullptr;        // RMSNorm backward's partial rows of dg
  double* partial_sums = nullptr;      // the loss reduction's partials
  std::int64_t* partial_counts = nullptr;
  kc::DeviceSum* loss = nullptr;  // [1]: Σ row loss and the valid-row count
  Ref weights_op;                 // bf16 copy of all parameters (kBf16Activations)

  // This call's parameters: f32 master copy, and the GEMM operand (weights_op or params).
  const float* params = nullptr;
  Ref weights;

  void allocate(device::Device& dev, const ModelConfig& c, const ParamLayout& layout, ElementType activation,
                std::int64_t rows) {
    buffers.clear();
    n = rows;
    act = activation;
    constexpr ElementType f32 = ElementType::kF32;
    const std::int64_t d = rows * c.d_model, qf = rows * c.q_features(), kf = rows * c.kv_features(),
                       hf = rows * c.mlp_hidden, vf = rows * c.vocab;
    xs = take(dev, act, (c.layers + 1) * d);
    for (Ref* t : {&a, &y, &b, &x_next, &h, &dh}) *t = take(dev, act, d);
    q = take(dev, act, qf);
    for (Ref* t : {&k, &v}) *t = take(dev, act, kf);
    for (Ref* t : {&u, &g, &hgate, &dhgate, &du, &dg}) *t = take(dev, act, hf);
    q32 = widened(dev, q, qf);
    k32 = widened(dev, k, kf);
    v32 = widened(dev, v, kf);
    for (Ref* t : {&o, &dout, &dq}) *t = take(dev, f32, qf);
    for (Ref* t : {&dk, &dv}) *t = take(dev, f32, kf);
    o_op = shadow(dev, o, qf);
    lse = take(dev, f32, c.heads * rows);
    for (Ref* t : {&dx, &dy, &db, &da}) *t = take(dev, f32, d);
    dx_op = shadow(dev, dx, d);
    dy_op = shadow(dev, dy, d);
    db_op = shadow(dev, db, d);
    da_op = shadow(dev, da, d);
    dq_op = shadow(dev, dq, qf);
    dk_op = shadow(dev, dk, kf);
    dv_op = shadow(dev, dv, kf);
    logits = take(dev, f32, vf);
    dlogits = take(dev, f32, vf);
    dlogits_op = shadow(dev, dlogits, vf);
    for (float** t : {&r1, &r2, &r, &row_loss, &row_lse}) *t = take(dev, f32, rows).f32();
    links = static_cast<std::int32_t*>(take(dev, f32, kc::embedding_backward_workspace_elems(rows)).p);
    zero_index = static_cast<std::int32_t*>(take(dev, f32, 1).p);
    dg_partials = take(dev, f32, kc::rmsnorm_backward_workspace_elems(rows, c.d_model)).f32();
    partial_sums = static_cast<double*>(take(dev, f32, 2 * kc::reduce_workspace_elems(rows)).p);
    partial_counts = static_cast<std::int64_t*>(take(dev, f32, 2 * kc::reduce_workspace_elems(rows)).p);
    loss = static_cast<kc::DeviceSum*>(take(dev, f32, 4).p);
    weights_op = act == f32 ? Ref{} : take(dev, act, layout.total_elems());
  }
};

DeviceTransformer::DeviceTransformer(const ModelConfig& config, const DeviceModelContext& ctx,
                                     const DeviceModelOptions& options)
    : config_(config), layout_(config), ctx_(ctx), options_(options) {
  validate_model_config(config_);
}

DeviceTransformer::~DeviceTransformer() {
  // Work still queued on the stream reads the buffers: let it finish before they go.
  try {
    ctx_.stream.synchronize();
  } catch (...) {  // NOLINT(bugprone-empty-catch): the call that enqueued the failed work has reported it
  }
}

std::int64_t DeviceTransformer::activation_bytes_per_token() const {
  return device_activation_bytes_per_token(config_, options_.precision);
}

std::int64_t device_activation_bytes_per_token(const ModelConfig& c, DevicePrecision precision) {
  const bool bf16 = precision == DevicePrecision::kBf16Activations;
  const std::int64_t d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  // Work::allocate's buffers per token, by dtype.
  std::int64_t act = (c.layers + 1) * d + 6 * d + qf + 2 * kf + 6 * hid;
  std::int64_t f32 = 3 * qf + 2 * kf + c.heads + 4 * d + 2 * c.vocab + 5;
  if (bf16) {
    f32 += qf + 2 * kf;                         // q32, k32, v32
    act += qf + 4 * d + qf + 2 * kf + c.vocab;  // o_op; dx_op, dy_op, db_op, da_op; dq_op, dk_op, dv_op; dlogits_op
  }
  return act * (bf16 ? 2 : 4) + f32 * 4;
}

// Per call: the work buffers for n tokens and, under kBf16Activations, the bf16 copy of
// the weights the GEMMs read (cast from the f32 master copy, in stream order).
DeviceTransformer::Work& DeviceTransformer::begin_call(ConstTensorView params, std::int64_t n) {
  check_f32_vector(params, layout_.total_elems(), "params");
  RA_CHECK(UsageError, n >= 0, "device transformer: negative token count");
  const ElementType act =
      options_.precision == DevicePrecision::kBf16Activations ? ElementType::kBF16 : ElementType::kF32;
  if (!work_) work_ = std::make_unique<Work>();
  if (work_->n != n) {
    ctx_.stream.synchronize();  // the old buffers may still be read by queued work
    work_->allocate(ctx_.device, config_, layout_, act, n);
    ctx_.device.fill_zero(TensorView(work_->zero_index, DType::kI32, Shape{1}, ctx_.device.kind()), ctx_.stream);
  }
  Work& w = *work_;
  w.params = params.data<float>();
  w.weights = {const_cast<float*>(w.params), ElementType::kF32};  // read only: GEMM operands B
  if (act != ElementType::kF32) {
    // fp32 master weights → the bf16 operands (round to nearest even), once per call.
    const kc::EmbeddingForwardParams cast{w.params, w.zero_index, w.weights_op.p, 1, layout_.total_elems(), 1};
    launch_kernel(ctx_.stream, "weights to bf16", ctx_.kernels.embedding_forward, kc::ModelStorage::kBf16, cast);
    w.weights = w.weights_op;
  }
  return w;
}

// ---- building blocks ------------------------------------------------------------------

namespace {

// The model's stream, kernels and GEMM, with the helpers every layer uses.
class Exec {
 public:
  Exec(const DeviceModelContext& ctx, std::int32_t* zero_index) : ctx_(ctx), zero_index_(zero_index) {}

  // C[m, n] = op(A)·op(B) + beta·C on row-major operands (A and B of one type, C of that
  // type or f32: cublasGemmEx's rule). The DeviceGemm maps it onto cuBLAS's column-major
  // arguments; the call runs inside the stream's work: on CPU streams the CPU executor
  // then runs in stream order, on CUDA launch runs it at once and cuBLAS enqueues on its
  // (the same) stream.
  void gemm(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t lda,
            std::int64_t ldb, Ref a, Ref b, Ref c, float beta, const char* label) {
    RowMajorGemm g;
    g.trans_a = ta;
    g.trans_b = tb;
    g.m = m;
    g.n = n;
    g.k = k;
    g.lda_elems = lda;
    g.ldb_elems = ldb;
    g.ldc_elems = n;
    g.a_type = a.t;
    g.b_type = b.t;
    g.c_type = c.t;
    gemm::DeviceGemm& engine = ctx_.gemm;
    ctx_.stream.launch(label, [&engine, g, a, b, c, beta] { engine.multiply(g, 1.0f, a.p, b.p, beta, c.p); });
  }
  // y[n, out] = x[n, in]·Wᵀ (+ y when beta = 1), W [out, in].
  void linear_forward(Ref x, Ref w, Ref y, std::int64_t n, std::int64_t in, std::int64_t out, float beta = 0) {
    gemm(Transpose::kNo, Transpose::kYes, n, out, in, in, in, x, w, y, beta, "linear fwd");
  }
  // dx[n, in] = dy[n, out]·W (+ dx when beta = 1).
  void linear_dx(Ref dy, Ref w, Ref dx, std::int64_t n, std::int64_t in, std::int64_t out, float beta = 0) {
    gemm(Transpose::kNo, Transpose::kNo, n, in, out, out, in, dy, w, dx, beta, "linear dx");
  }
  // dW[out, in] += dyᵀ·x: the sum runs over the tokens, f32 accumulator.
  void linear_dw(Ref dy, Ref x, float* dw, std::int64_t n, std::int64_t in, std::int64_t out) {
    gemm(Transpose::kYes, Transpose::kNo, out, in, n, out, in, dy, x, {dw, ElementType::kF32}, 1.0f, "linear dW");
  }

  // dst = src in dst's type: nothing when they are one tensor (kF32), a copy for one
  // type, and the casts: f32 → bf16 (round to nearest even) is the embedding forward of
  // one row (y[0, :] = table[0, :], table = src) — the ModelKernels table has no cast
  // kernel; bf16 → f32 (exact) is 0 + 1·src through axpy.
  void cast(Ref dst, Ref src, std::int64_t elems) {
    if (dst.p == src.p) return;
    const DeviceKind kind = ctx_.device.kind();
    if (dst.t == src.t) {
      ctx_.device.copy(TensorView(dst.p, dtype_of(dst.t), Shape{elems}, kind),
                       ConstTensorView(src.p, dtype_of(src.t), Shape{elems}, kind), ctx_.stream);
    } else if (src.t == ElementType::kF32) {
      launch_kernel(ctx_.stream, "to bf16", ctx_.kernels.embedding_forward, storage_of(dst.t),
                    kc::EmbeddingForwardParams{src.f32(), zero_index_, dst.p, 1, elems, 1});
    } else {
      zero(dst, elems);
      launch_kernel(ctx_.stream, "to f32", ctx_.kernels.axpy, storage_of(src.t),
                    kc::AxpyParams{1.0f, src.p, dst.f32(), elems});
    }
  }
  void copy(Ref dst, Ref src, std::int64_t elems) { cast(dst, src, elems); }
  void zero(Ref dst, std::int64_t elems) {
    ctx_.device.fill_zero(TensorView(dst.p, dtype_of(dst.t), Shape{elems}, ctx_.device.kind()), ctx_.stream);
  }

  void rope(Ref x, const std::int32_t* positions, std::int64_t n, std::int64_t heads, const ModelConfig& c,
            kc::RopeKernelDirection direction) {
    const kc::RopeConstants rc =
        kc::rope_constants(kernel_scaling(c.rope.scaling), c.rope.base, c.rope.factor, c.head_dim);
    launch_kernel(
        ctx_.stream, "rope", ctx_.kernels.rope, storage_of(x.t),
        kc::RopeParams{x.p, positions, n, heads, c.head_dim, rc.effective_base, rc.position_scale, direction});
  }
  void rmsnorm_forward(Ref x, const float* g, Ref y, float* r, std::int64_t n, std::int64_t d, float eps) {
    launch_kernel(ctx_.stream, "rmsnorm", ctx_.kernels.rmsnorm_forward, storage_of(x.t),
                  kc::RmsNormForwardParams{x.p, g, y.p, r, n, d, eps});
  }
  // dx += RMSNorm'(x)ᵀ·dy (f32), dg += Σ_rows dy∘x·r; x and dy of one (the activation) type.
  void rmsnorm_backward(Ref x, const float* g, const float* r, Ref dy, float* dx, float* dg, float* partials,
                        std::int64_t n, std::int64_t d) {
    launch_kernel(ctx_.stream, "rmsnorm bwd", ctx_.kernels.rmsnorm_backward, storage_of(x.t),
                  kc::RmsNormBackwardParams{x.p, g, r, dy.p, dx, dg, partials, n, d});
  }

  device::Stream& stream() { return ctx_.stream; }
  const kc::ModelKernels& kernels() { return ctx_.kernels; }

 private:
  const DeviceModelContext& ctx_;
  std::int32_t* zero_index_;
};

}  // namespace

// ---- the layers -------------------------------------------------------------------------

void DeviceTransformer::layer_forward(const DeviceTokenShard& s, DeviceAttentionFn& attention, std::int64_t l,
                                      void* x_ptr, void* x_out_ptr) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  Work& w = *work_;
  Exec e(ctx_, w.zero_index);
  const Ref x{x_ptr, w.act}, x_out{x_out_ptr, w.act};
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  const auto eps = static_cast<float>(c.norm_eps);
  // a = RMSNorm(x; g₁);  q, k, v = a·W{q,k,v}ᵀ — [n, H, D] as they come out of the GEMM,
  // the layout attention_fn.h takes (no conversion, as on the CPU).
  e.rmsnorm_forward(x, w.params + lp.attn_norm, w.a, w.r1, n, d, eps);
  e.linear_forward(w.a, w.weights.at(lp.wq), w.q, n, d, qf);
  e.linear_forward(w.a, w.weights.at(lp.wk), w.k, n, d, kf);
  e.linear_forward(w.a, w.weights.at(lp.wv), w.v, n, d, kf);
  if (c.positions == Positions::kRope) {
    e.rope(w.q, s.positions, n, c.heads, c, kc::RopeKernelDirection::kForward);
    e.rope(w.k, s.positions, n, c.kv_heads, c, kc::RopeKernelDirection::kForward);
  }
  e.cast(w.q32, w.q, n * qf);  // exact widenings (nothing under kF32)
  e.cast(w.k32, w.k, n * kf);
  e.cast(w.v32, w.v, n * kf);
  attention.forward(w.q32.f32(), w.k32.f32(), w.v32.f32(), w.o.f32(), w.lse.f32());
  e.cast(w.o_op, w.o, n * qf);
  // y = x + o·Woᵀ: C starts as x, the GEMM adds (beta 1), as transformer.cc does.
  e.copy(w.y, x, n * d);
  e.linear_forward(w.o_op, w.weights.at(lp.wo), w.y, n, qf, d, 1.0f);
  // b = RMSNorm(y; g₂);  x' = y + (silu(b·W₁ᵀ) ∘ b·W₃ᵀ)·W₂ᵀ
  e.rmsnorm_forward(w.y, w.params + lp.mlp_norm, w.b, w.r2, n, d, eps);
  e.linear_forward(w.b, w.weights.at(lp.w1), w.u, n, d, hid);
  e.linear_forward(w.b, w.weights.at(lp.w3), w.g, n, d, hid);
  launch_kernel(e.stream(), "swiglu", e.kernels().swiglu_forward, storage_of(w.act),
                kc::SwigluForwardParams{w.u.p, w.g.p, w.hgate.p, n * hid});
  e.copy(x_out, w.y, n * d);
  e.linear_forward(w.hgate, w.weights.at(lp.w2), x_out, n, hid, d, 1.0f);
}

// w.dx holds ∂L/∂x_{l+1} on entry and ∂L/∂x_l on return; parameter gradients are added.
void DeviceTransformer::layer_backward(const DeviceTokenShard& s, DeviceAttentionFn& attention, std::int64_t l,
                                       void* x_ptr, float* grads) {
  const ModelConfig& c = config_;
  const LayerParams& lp = layout_.layer(l);
  Work& w = *work_;
  const Ref x{x_ptr, w.act};
  const std::int64_t n = s.n, d = c.d_model, qf = c.q_features(), kf = c.kv_features(), hid = c.mlp_hidden;
  layer_forward(s, attention, l, x_ptr, w.x_next.p);  // recompute this layer's activations
  Exec e(ctx_, w.zero_index);

  // MLP branch: x' = y + hgate·W₂ᵀ, so ∂L/∂y = ∂L/∂x' + (the MLP's path through RMSNorm).
  e.copy(w.dy, w.dx, n * d);
  e.cast(w.dx_op, w.dx, n * d);
  e.linear_dx(w.dx_op, w.weights.at(lp.w2), w.dhgate, n, hid, d);
  e.linear_dw(w.dx_op, w.hgate, grads + lp.w2, n, hid, d);
  launch_kernel(e.stream(), "swiglu bwd", e.kernels().swiglu_backward, storage_of(w.act),
                kc::SwigluBackwardParams{w.u.p, w.g.p, w.dhgate.p, w.du.p, w.dg.p, n * hid});
  // db = du·W₁ + dg·W₃ (f32 sum), dW₁ += duᵀ·b, dW₃ += dgᵀ·b
  e.linear_dx(w.du, w.weights.at(lp.w1), w.db, n, d, hid);
  e.linear_dx(w.dg, w.weights.at(lp.w3), w.db, n, d, hid, 1.0f);
  e.linear_dw(w.du, w.b, grads + lp.w1, n, d, hid);
  e.linear_dw(w.dg, w.b, grads + lp.w3, n, d, hid);
  // dy += RMSNorm'(y)ᵀ·db;  dg₂ += Σ_rows db∘y·r₂
  e.cast(w.db_op, w.db, n * d);
  e.rmsnorm_backward(w.y, w.params + lp.mlp_norm, w.r2, w.db_op, w.dy.f32(), grads + lp.mlp_norm, w.dg_partials, n, d);

  // Attention branch: y = x + o·Woᵀ.
  e.copy(w.dx, w.dy, n * d);
  e.cast(w.dy_op, w.dy, n * d);
  e.linear_dx(w.dy_op, w.weights.at(lp.wo), w.dout, n, qf, d);
  e.linear_dw(w.dy_op, w.o_op, grads + lp.wo, n, qf, d);
  attention.backward(w.q32.f32(), w.k32.f32(), w.v32.f32(), w.o.f32(), w.lse.f32(), w.dout.f32(), w.dq.f32(),
                     w.dk.f32(), w.dv.f32());
  if (c.positions == Positions::kRope) {
    // The backward of a rotation is the rotation by −angle (on the f32 gradients).
    e.rope(w.dq, s.positions, n, c.heads, c, kc::RopeKernelDirection::kInverse);
    e.rope(w.dk, s.positions, n, c.kv_heads, c, kc::RopeKernelDirection::kInverse);
  }
  e.cast(w.dq_op, w.dq, n * qf);
  e.cast(w.dk_op, w.dk, n * kf);
  e.cast(w.dv_op, w.dv, n * kf);
  // a = RMSNorm(x) feeds q, k and v: its gradient is the sum of the three.
  e.linear_dx(w.dq_op, w.weights.at(lp.wq), w.da, n, d, qf);
  e.linear_dx(w.dk_op, w.weights.at(lp.wk), w.da, n, d, kf, 1.0f);
  e.linear_dx(w.dv_op, w.weights.at(lp.wv), w.da, n, d, kf, 1.0f);
  e.linear_dw(w.dq_op, w.a, grads + lp.wq, n, d, qf);
  e.linear_dw(w.dk_op, w.a, grads + lp.wk, n, d, kf);
  e.linear_dw(w.dv_op, w.a, grads + lp.wv, n, d, kf);
  e.cast(w.da_op, w.da, n * d);
  e.rmsnorm_backward(x, w.params + lp.attn_norm, w.r1, w.da_op, w.dx.f32(), grads + lp.attn_norm, w.dg_partials, n, d);
}

// logits = RMSNorm(x_L; g)·Headᵀ in f32; h and r stay in the work buffers for the backward.
void DeviceTransformer::final_logits(const void* x_last, std::int64_t n, float* logits) {
  const ModelConfig& c = config_;
  Work& w = *work_;
  Exec e(ctx_, w.zero_index);
  e.rmsnorm_forward({const_cast<void*>(x_last), w.act}, w.params + layout_.final_norm(), w.h, w.r, n, c.d_model,
                    static_cast<float>(c.norm_eps));
  e.linear_forward(w.h, w.weights.at(layout_.lm_head()), {logits, ElementType::kF32}, n, c.d_model, c.vocab);
}

void DeviceTransformer::forward_logits(ConstTensorView params, const DeviceTokenShard& s, DeviceAttentionFn& attention,
                                       TensorView logits) {
  const ModelConfig& c = config_;
  RA_CHECK(UsageError, logits.dtype() == DType::kF32, "device transformer: logits must be f32");
  RA_CHECK_EQ(UsageError, logits.numel_elems(), s.n * c.vocab, "device transformer: logits elements (n · vocab)");
  Work& w = begin_call(params, s.n);
  const std::int64_t n = s.n, d = c.d_model;
  // Two of the saved-input slots serve as the ping-pong pair (no backward follows).
  Ref x = w.xs, x_next = w.xs.at(n * d);
  launch_kernel(ctx_.stream, "embedding", ctx_.kernels.embedding_forward, storage_of(w.act),
                kc::EmbeddingForwardParams{w.params + layout_.embed(), s.tokens, x.p, n, d, c.vocab});
  for (std::int64_t l = 0; l < c.layers; ++l) {
    layer_forward(s, attention, l, x.p, x_next.p);
    std::swap(x, x_next);
  }
  final_logits(x.p, n, logits.data<float>());
}

StepLoss DeviceTransformer::forward_backward(ConstTensorView params, const DeviceTokenShard& s,
                                             DeviceAttentionFn& attention, float loss_scale, TensorView grads,
                                             const GradientsReadyFn& gradients_ready) {
  const ModelConfig& c = config_;
  check_f32_vector(grads, layout_.total_elems(), "grads");
  Work& w = begin_call(params, s.n);
  Exec e(ctx_, w.zero_index);
  float* gp = grads.data<float>();
  const std::int64_t n = s.n, d = c.d_model;
  const auto x_at = [&](std::int64_t l) { return w.xs.at(l * n * d).p; };

  launch_kernel(ctx_.stream, "embedding", ctx_.kernels.embedding_forward, storage_of(w.act),
                kc::EmbeddingForwardParams{w.params + layout_.embed(), s.tokens, x_at(0), n, d, c.vocab});
  for (std::int64_t l = 0; l < c.layers; ++l) layer_forward(s, attention, l, x_at(l), x_at(l + 1));
  final_logits(x_at(c.layers), n, w.logits.f32());

  // Loss: per-row −log softmax[target] (0 on rows without a target), then one
  // deterministic double sum with the count of rows that have a target. f32 logits.
  launch_kernel(ctx_.stream, "cross-entropy", ctx_.kernels.cross_entropy_forward, kc::ModelStorage::kF32,
                kc::CrossEntropyForwardParams{w.logits.p, s.targets, w.row_loss, w.row_lse, n, c.vocab});
  launch_kernel(
      ctx_.stream, "loss sum", ctx_.kernels.sum_reduce,
      kc::SumReduceParams{w.row_loss, s.targets, w.partial_sums, w.partial_counts, w.loss, n, kc::ReduceTerm::kValue});

  // dlogits = (softmax − onehot)·scale;  dh = dlogits·Head, dHead += dlogitsᵀ·h
  launch_kernel(ctx_.stream, "cross-entropy bwd", ctx_.kernels.cross_entropy_backward, kc::ModelStorage::kF32,
                kc::CrossEntropyBackwardParams{w.logits.p, s.targets, w.row_lse, w.dlogits.p, n, c.vocab, loss_scale});
  e.cast(w.dlogits_op, w.dlogits, n * c.vocab);
  e.linear_dx(w.dlogits_op, w.weights.at(layout_.lm_head()), w.dh, n, d, c.vocab);
  e.linear_dw(w.dlogits_op, w.h, gp + layout_.lm_head(), n, d, c.vocab);
  e.zero(w.dx, n * d);
  e.rmsnorm_backward({x_at(c.layers), w.act}, w.params + layout_.final_norm(), w.r, w.dh, w.dx.f32(),
                     gp + layout_.final_norm(), w.dg_partials, n, d);
  for (std::int64_t l = c.layers - 1; l >= 0; --l) {
    layer_backward(s, attention, l, x_at(l), gp);
    const std::int64_t first = layout_.layer(l).attn_norm;
    if (gradients_ready) gradients_ready(first, layout_.layer_end(l) - first);
  }
  // dE[token] += dx in token order (tied: on top of the head's dE·h contribution), from
  // the f32 residual-stream gradient.
  launch_kernel(ctx_.stream, "embedding bwd", ctx_.kernels.embedding_backward, kc::ModelStorage::kF32,
                kc::EmbeddingBackwardParams{s.tokens, w.dx.p, gp + layout_.embed(), w.links, n, d, c.vocab});
  // The one wait of the step. DeviceSum is {double, int64}: downloaded as two 8-byte slots.
  static_assert(sizeof(kc::DeviceSum) == 2 * sizeof(double), "DeviceSum is downloaded as two 8-byte slots");
  kc::DeviceSum host_loss{};
  ctx_.device.download(&host_loss, ConstTensorView(w.loss, DType::kF64, Shape{2}, ctx_.device.kind()), ctx_.stream);
  ctx_.stream.synchronize();
  return {host_loss.sum, host_loss.count};
}

}  // namespace ra::model

// Plain parameter structs of the model's non-GEMM CUDA kernels (the transformer of
// runtime/model, docs/training.md), shared by host launchers, the launch-grid functions
// (kernels/cuda/host/model_grid.h) and device code. Plain C++17 without CUDA types, so
// nvcc, g++ and the emulator all read it.
//
// Dtypes. Tensors the model keeps in its activation dtype — embedding output, norm
// input/output, attention projections under RoPE, the SwiGLU gate, logits and their
// gradients — are `void*` in the instance's storage type (ModelStorage: f32 or bf16) and
// read through storage_as<T>; the math is fp32 either way. Parameters, their gradients,
// AdamW moments, per-row statistics (RMSNorm's r, cross-entropy's loss and LSE) and
// gradients that accumulate across layers (the residual stream's dx, axpy's y) are fp32.
// Shapes are row-major as on the CPU (runtime/model/layers.h). Sizes are counts of
// elements or rows; every pointer is a device pointer on a GPU and a host pointer under
// the emulator. Workspaces are sized by the functions of model_grid.h.
#pragma once

#include <cstdint>

// X(ModelStorage enumerator, device type, name): the storage types every activation
// kernel is built for (model_dispatch_impl.h expands it).
#define RA_MODEL_STORAGE_TYPES(X) \
  X(kF32, float, "f32")           \
  X(kBf16, __nv_bfloat16, "bf16")

namespace ra::kernels::cuda {

enum class ModelStorage : std::uint8_t {
#define RA_MODEL_X(storage, type, name) storage,
  RA_MODEL_STORAGE_TYPES(RA_MODEL_X)
#undef RA_MODEL_X
};

inline const char* model_storage_name(ModelStorage s) {
  switch (s) {
#define RA_MODEL_X(storage, type, name) \
  case ModelStorage::storage: return name;
    RA_MODEL_STORAGE_TYPES(RA_MODEL_X)
#undef RA_MODEL_X
  }
  return "?";
}

// ---- embedding -------------------------------------------------------------------------

// y[i, :] = table[tokens[i], :]. Token ids must lie in [0, vocab_rows) (the data loader
// checks them); a row with an id outside gets quiet NaNs, so the loss shows it.
struct EmbeddingForwardParams {
  const float* table;          // [vocab_rows, row_elems]
  const std::int32_t* tokens;  // [n_rows]
  void* y;                     // [n_rows, row_elems], storage type
  std::int64_t n_rows, row_elems, vocab_rows;
};

// dtable[tokens[i], :] += dy[i, :], added in token order — the CPU's order, so the
// result is bitwise the CPU's (only additions: no contraction can differ). `links` is a
// workspace of embedding_backward_workspace_elems(n_rows) int32; ids outside
// [0, vocab_rows) are skipped.
struct EmbeddingBackwardParams {
  const std::int32_t* tokens;  // [n_rows]
  const void* dy;              // [n_rows, row_elems], storage type
  float* dtable;               // [vocab_rows, row_elems], +=
  std::int32_t* links;         // workspace
  std::int64_t n_rows, row_elems, vocab_rows;
};

// ---- RMSNorm ---------------------------------------------------------------------------

// y = x · r · g,  r = 1/sqrt(mean(x²) + eps) per row (saved for the backward).
struct RmsNormForwardParams {
  const void* x;   // [n_rows, row_elems], storage type
  const float* g;  // [row_elems]
  void* y;         // [n_rows, row_elems], storage type
  float* r;        // [n_rows]
  std::int64_t n_rows, row_elems;
  float eps;
};

// dx += r·(g∘dy) − r³·x·mean(x∘g∘dy)   (the residual stream's gradient, fp32)
// dg += Σ_rows dy∘x·r                   (per-block partials, then a column sum: no atomics)
struct RmsNormBackwardParams {
  const void* x;       // [n_rows, row_elems], storage type
  const float* g;      // [row_elems]
  const float* r;      // [n_rows], from the forward
  const void* dy;      // [n_rows, row_elems], storage type
  float* dx;           // [n_rows, row_elems], +=
  float* dg;           // [row_elems], +=
  float* dg_partials;  // workspace: rmsnorm_backward_workspace_elems(n_rows, row_elems) floats
  std::int64_t n_rows, row_elems;
};

// ---- RoPE ------------------------------------------------------------------------------

enum class RopeKernelScaling : std::uint8_t { kNone, kLinear, kNtk };  // runtime/model/rope.h's RopeScaling
enum class RopeKernelDirection : std::uint8_t { kForward, kInverse };

// The scaling mode folded into two numbers on the host (model_grid.h: rope_constants):
// angle(p, i) = sign · (p · position_scale) · effective_base^(−2i/head_dim).
struct RopeParams {
  void* x;                                 // [n_rows, heads, head_dim], storage type, in place
  const std::int32_t* positions;           // [n_rows], global positions
  std::int64_t n_rows, heads, head_elems;  // head_elems = head_dim, even
  double effective_base;                   // b, or b·s^(D/(D−2)) with NTK scaling
  double position_scale;                   // 1, or 1/s with linear interpolation
  RopeKernelDirection direction;           // kInverse rotates by −angle (the backward)
};

// ---- element-wise ----------------------------------------------------------------------

// h = silu(a) ∘ b, silu(a) = a·σ(a). All storage type.
struct SwigluForwardParams {
  const void* a;
  const void* b;
  void* h;
  std::int64_t elems;
};

// da = dh ∘ b ∘ σ(a)(1 + a(1 − σ(a))),  db = dh ∘ silu(a). All storage type.
struct SwigluBackwardParams {
  const void* a;
  const void* b;
  const void* dh;
  void* da;
  void* db;
  std::int64_t elems;
};

// y = x + r (the residual add; y may be x or r). All storage type.
struct ResidualAddParams {
  const void* x;
  const void* r;
  void* y;
  std::int64_t elems;
};

// y += alpha · x: a storage-type contribution into an fp32 accumulator (gradients).
struct AxpyParams {
  float alpha;
  const void* x;  // storage type
  float* y;       // fp32, +=
  std::int64_t elems;
};

// ---- cross-entropy and reductions --------------------------------------------------------

// Per row with a target (targets[i] ≥ 0):  lse_i = m + log Σ_c exp(l_c − m) (m = max_c l_c),
// loss_i = lse_i − l_target. Rows with target −1 get loss 0 and lse 0. A target at or
// past `vocab` is a caller's bug: that row's loss is NaN.
struct CrossEntropyForwardParams {
  const void* logits;           // [n_rows, vocab], storage type
  const std::int32_t* targets;  // [n_rows], −1: no loss
  float* row_loss;              // [n_rows]
  float* row_lse;               // [n_rows], read by the backward
  std::int64_t n_rows, vocab;
};

// dlogits = (exp(l − lse) − onehot(target)) · scale on rows with a target, 0 on others.
struct CrossEntropyBackwardParams {
  const void* logits;           // [n_rows, vocab], storage type
  const std::int32_t* targets;  // [n_rows]
  const float* row_lse;         // [n_rows], from the forward
  void* dlogits;                // [n_rows, vocab], storage type
  std::int64_t n_rows, vocab;
  float scale;  // usually 1 / (valid tokens of the whole world)
};

// The result of a reduction, in device memory.
struct DeviceSum {
  double sum;
  std::int64_t count;
};

enum class ReduceTerm : std::uint8_t { kValue, kSquare };  // Σ x or Σ x²

// result = {Σ term(values[i]), #counted} in double, in a fixed order that depends only on
// `elems` (model_grid.h: reduce_grid): per-block partials, then one block sums them.
// count: the entries with targets[i] ≥ 0 when `targets` is given, else `elems`. The loss
// sum and valid-row count of cross-entropy (values = row_loss, targets) and the gradient's
// sum of squares (values = grads, kSquare) are this one reduction.
struct SumReduceParams {
  const float* values;           // [elems]
  const std::int32_t* targets;   // [elems] or nullptr
  double* partial_sums;          // workspace: reduce_workspace_elems(elems) doubles
  std::int64_t* partial_counts;  // workspace: as many int64
  DeviceSum* result;
  std::int64_t elems;
  ReduceTerm term;
};

// ---- AdamW -------------------------------------------------------------------------------

// From the gradient's sum of squares (a SumReduceParams result): grad_norm = √Σg²,
// clip_scale = max_norm / grad_norm when max_norm > 0 and grad_norm > max_norm, else 1 —
// the CPU optimizer's rule (runtime/train/optimizer.cc), in double, on the device, so the
// host never waits for the norm.
struct ClipFactorParams {
  const DeviceSum* grad_sumsq;
  double max_norm;    // 0: no clipping
  double* grad_norm;  // [1], for the step's statistics
  float* clip_scale;  // [1], read by the update
};

// g = grads·clip_scale;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
// θ ← θ − lr·((m·c₁)/(√(v·c₂) + ε) + [decay]·λθ),  c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ).
// The scalars come from the host (model_grid.h: adamw_scalars), as the CPU rounds them.
struct AdamWScalars {
  float lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2;
};

struct AdamWParams {
  float* params;
  const float* grads;  // not modified (the CPU clips them in place)
  float* m;
  float* v;
  const std::uint8_t* decay_mask;  // [elems]: 1 where weight decay applies (matrices)
  const float* clip_scale;         // [1], from the clip-factor kernel
  std::int64_t elems;
  AdamWScalars s;
};

}  // namespace ra::kernels::cuda

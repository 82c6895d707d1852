#include "kernels/cuda/op/cuda_attention.h"

#include <limits>

#include "kernels/cuda/attention_dispatch.h"
#include "runtime/core/check.h"

namespace ra::kernels::cuda {
namespace {

// Kernel indices are 32-bit and their tile loops step 64 tokens past the last one:
// sizes that could overflow them are refused, not truncated.
std::int32_t to_i32(std::int64_t x, const char* what) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max() - 128;
  RA_CHECK(UsageError, x >= 0 && x <= kMax, "CUDA attention: ", what, " ", x,
           " exceeds the kernels' 32-bit index range (", kMax, ")");
  return static_cast<std::int32_t>(x);
}

AttnShape shape_of(const AttnDims& d) {
  return {to_i32(d.lq, "query tokens"), to_i32(d.lk, "key tokens"), to_i32(d.hq, "query heads"),
          to_i32(d.hkv, "kv heads"), to_i32(d.d, "head_dim")};
}

RowShape row_shape_of(const ConstTensorView& rows_by_heads) {
  return {to_i32(rows_by_heads.dim(0), "query tokens"), to_i32(rows_by_heads.dim(1), "query heads"),
          to_i32(rows_by_heads.dim(2), "head_dim")};
}

MaskParams mask_of(const MaskSpec& m) {
  return {.rule = m.rule,
          .scale = m.scale,
          .alibi_slopes = m.alibi_slopes.empty() ? nullptr : m.alibi_slopes.data<float>()};
}

TokenMetaPtrs meta_of(const TokenMeta& m) {
  return {.pos = m.pos.data<std::int32_t>(), .seg = m.seg.data<std::int32_t>()};
}

// Validation has already limited storage to kCudaStorageDTypes (the same table).
KernelStorage storage_of(DType t) {
#define RA_ATTENTION_X(storage, type, name, dtype) \
  if (t == DType::dtype) return KernelStorage::storage;
  RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  RA_CHECK(UsageError, false, "CUDA attention: storage dtype ", dtype_name(t), " has no kernels");
  return KernelStorage{};
}

}  // namespace

void CudaAttention::init_state(const SoftmaxState& state) {
  validate_state(state);
  kernels_.init_state({.shape = row_shape_of(state.acc),
                       .acc = state.acc.data<float>(),
                       .row_max = state.row_max.data<float>(),
                       .row_sum = state.row_sum.data<float>()},
                      options_.stream);
}

void CudaAttention::forward_accumulate(const ForwardArgs& a) {
  const AttnDims dims = validate_forward(a, kCudaSupport);
  // Designated initializers: a field of ForwardParams left out here does not compile.
  const ForwardParams p{.shape = shape_of(dims),
                        .mask = mask_of(a.mask),
                        .precision = options_.precision,
                        .q = a.q.raw(),
                        .k = a.k.raw(),
                        .v = a.v.raw(),
                        .q_meta = meta_of(a.q_meta),
                        .k_meta = meta_of(a.k_meta),
                        .acc = a.state.acc.data<float>(),
                        .row_max = a.state.row_max.data<float>(),
                        .row_sum = a.state.row_sum.data<float>()};
  kernels_.forward(storage_of(a.q.dtype()), p, options_.stream);
}

void CudaAttention::finalize(const FinalizeArgs& a) {
  validate_finalize(a, kCudaSupport);
  kernels_.finalize(storage_of(a.o.dtype()),
                    {.shape = row_shape_of(a.state.acc),
                     .acc = a.state.acc.data<float>(),
                     .row_max = a.state.row_max.data<float>(),
                     .row_sum = a.state.row_sum.data<float>(),
                     .o = a.o.raw(),
                     .lse = a.lse.data<float>()},
                    options_.stream);
}

void CudaAttention::backward_prepare(const BackwardPrepareArgs& a) {
  validate_backward_prepare(a, kCudaSupport);
  kernels_.prepare(storage_of(a.o.dtype()),
                   {.shape = row_shape_of(a.o), .o = a.o.raw(), .dout = a.dout.raw(), .dsum = a.dsum.data<float>()},
                   options_.stream);
}

void CudaAttention::backward(const BackwardArgs& a) {
  const AttnDims dims = validate_backward(a, kCudaSupport);
  const BackwardParams p{.shape = shape_of(dims),
                         .mask = mask_of(a.mask),
                         .precision = options_.precision,
                         .q = a.q.raw(),
                         .k = a.k.raw(),
                         .v = a.v.raw(),
                         .dout = a.dout.raw(),
                         .lse = a.lse.data<float>(),
                         .dsum = a.dsum.data<float>(),
                         .q_meta = meta_of(a.q_meta),
                         .k_meta = meta_of(a.k_meta),
                         .dq = a.dq.data<float>(),
                         .dk = a.dk.data<float>(),
                         .dv = a.dv.data<float>()};
  kernels_.backward(storage_of(a.q.dtype()), p, options_.stream);
}

void CudaAttention::merge(const MergeArgs& a) {
  validate_merge(a);
  kernels_.merge({.shape = row_shape_of(a.o_a),
                  .o_a = a.o_a.data<float>(),
                  .lse_a = a.lse_a.data<float>(),
                  .o_b = a.o_b.data<float>(),
                  .lse_b = a.lse_b.data<float>()},
                 options_.stream);
}

}  // namespace ra::kernels::cuda

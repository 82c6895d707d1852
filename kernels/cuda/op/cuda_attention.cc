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
  RA_CHECK(UsageError, x >= 0 && x <= kMax, "CUDA attention: ", what, " ", x, " exceeds the kernels' 32-bit index range (",
           kMax, ")");
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
  return {m.rule, m.scale, m.alibi_slopes.empty() ? nullptr : m.alibi_slopes.data<float>()};
}

TokenMetaPtrs meta_of(const TokenMeta& m) { return {m.pos.data<std::int32_t>(), m.seg.data<std::int32_t>()}; }

// Validation has already limited storage to kCudaStorageDTypes.
KernelStorage storage_of(DType t) { return t == DType::kF16 ? KernelStorage::kF16 : KernelStorage::kBf16; }

std::int32_t split_terms_of(ProductPrecision p) {
  return p == ProductPrecision::kFp32 ? kExactSplitTerms : kRoundedSplitTerms;
}

}  // namespace

void CudaAttention::init_state(const SoftmaxState& state) {
  validate_state(state);
  dispatch_init_state({row_shape_of(state.acc), state.acc.data<float>(), state.row_max.data<float>(),
                       state.row_sum.data<float>()},
                      options_.stream);
}

void CudaAttention::forward_accumulate(const ForwardArgs& a) {
  const AttnDims dims = validate_forward(a, kCudaSupport);
  ErasedForwardParams p;
  p.shape = shape_of(dims);
  p.mask = mask_of(a.mask);
  p.split_terms = split_terms_of(options_.precision);
  p.q = a.q.raw();
  p.k = a.k.raw();
  p.v = a.v.raw();
  p.q_meta = meta_of(a.q_meta);
  p.k_meta = meta_of(a.k_meta);
  p.acc = a.state.acc.data<float>();
  p.row_max = a.state.row_max.data<float>();
  p.row_sum = a.state.row_sum.data<float>();
  dispatch_forward(storage_of(a.q.dtype()), p, options_.stream);
}

void CudaAttention::finalize(const FinalizeArgs& a) {
  validate_finalize(a, kCudaSupport);
  dispatch_finalize(storage_of(a.o.dtype()),
                    {row_shape_of(a.state.acc), a.state.acc.data<float>(), a.state.row_max.data<float>(),
                     a.state.row_sum.data<float>(), a.o.raw(), a.lse.data<float>()},
                    options_.stream);
}

void CudaAttention::backward_prepare(const BackwardPrepareArgs& a) {
  validate_backward_prepare(a, kCudaSupport);
  dispatch_prepare(storage_of(a.o.dtype()), {row_shape_of(a.o), a.o.raw(), a.dout.raw(), a.dsum.data<float>()}, options_.stream);
}

void CudaAttention::backward(const BackwardArgs& a) {
  const AttnDims dims = validate_backward(a, kCudaSupport);
  ErasedBackwardParams p;
  p.shape = shape_of(dims);
  p.mask = mask_of(a.mask);
  p.split_terms = split_terms_of(options_.precision);
  p.q = a.q.raw();
  p.k = a.k.raw();
  p.v = a.v.raw();
  p.dout = a.dout.raw();
  p.lse = a.lse.data<float>();
  p.dsum = a.dsum.data<float>();
  p.q_meta = meta_of(a.q_meta);
  p.k_meta = meta_of(a.k_meta);
  p.dq = a.dq.data<float>();
  p.dk = a.dk.data<float>();
  p.dv = a.dv.data<float>();
  dispatch_backward(storage_of(a.q.dtype()), p, options_.stream);
}

void CudaAttention::merge(const MergeArgs& a) {
  validate_merge(a);
  dispatch_merge({row_shape_of(a.o_a), a.o_a.data<float>(), a.lse_a.data<float>(), a.o_b.data<float>(),
                  a.lse_b.data<float>()},
                 options_.stream);
}

}  // namespace ra::kernels::cuda

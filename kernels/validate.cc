#include "kernels/validate.h"

#include <sstream>
#include <string>

#include "runtime/core/check.h"

namespace ra::kernels {

std::string head_dim_refusal(std::int64_t d, const HeadDimSupport& hd) {
  std::ostringstream supported;
  bool ok = false;
  if (hd.only != nullptr) {
    for (int i = 0; i < hd.only_count; ++i) {
      ok = ok || hd.only[i] == d;
      supported << (i ? ", " : "") << hd.only[i];
    }
  } else {
    ok = d >= hd.min_d && d <= hd.max_d;
    supported << hd.min_d << ".." << hd.max_d;
  }
  if (ok) return {};
  return "head_dim " + std::to_string(d) + " is not supported by this backend (supported: " + supported.str() + ")";
}

namespace {

void expect_rank(const char* name, const ConstTensorView& t, int rank) {
  RA_CHECK(UsageError, !t.empty(), "argument '", name, "' is missing");
  RA_CHECK_EQ(UsageError, t.rank(), rank, "rank of '", name, "' ", t.shape().str());
}

void expect_dtype(const char* name, const ConstTensorView& t, DType want) {
  RA_CHECK_EQ(UsageError, dtype_name(t.dtype()), dtype_name(want), "dtype of '", name, "'");
}

void expect_storage_dtype(const char* name, const ConstTensorView& t, const StorageSupport& storage) {
  bool ok = false;
  std::ostringstream list;
  for (int i = 0; i < storage.count; ++i) {
    ok = ok || storage.dtypes[i] == t.dtype();
    list << (i ? ", " : "") << dtype_name(storage.dtypes[i]);
  }
  RA_CHECK(UsageError, ok, "dtype of '", name, "' is ", dtype_name(t.dtype()),
           "; this backend's storage dtypes: ", list.str());
}

void expect_shape(const char* name, const ConstTensorView& t, const Shape& want) {
  RA_CHECK(UsageError, !t.empty(), "argument '", name, "' is missing");
  RA_CHECK(UsageError, t.shape() == want, "shape of '", name, "' is ", t.shape().str(), ", expected ", want.str());
}

void expect_meta(const char* name, const TokenMeta& m, std::int64_t tokens) {
  const std::string pos = std::string(name) + ".pos", seg = std::string(name) + ".seg";
  expect_shape(pos.c_str(), m.pos, Shape{tokens});
  expect_dtype(pos.c_str(), m.pos, DType::kI32);
  expect_shape(seg.c_str(), m.seg, Shape{tokens});
  expect_dtype(seg.c_str(), m.seg, DType::kI32);
}

void expect_head_dim(std::int64_t d, const HeadDimSupport& hd) {
  const std::string refusal = head_dim_refusal(d, hd);
  if (!refusal.empty()) throw UsageError(refusal);
}

AttnDims common_dims(const ConstTensorView& q, const ConstTensorView& k, const ConstTensorView& v, const TokenMeta& qm,
                     const TokenMeta& km, const MaskSpec& mask, const BackendSupport& support) {
  expect_rank("q", q, 3);
  expect_rank("k", k, 3);
  expect_storage_dtype("q", q, support.storage);
  AttnDims d;
  d.lq = q.dim(0);
  d.hq = q.dim(1);
  d.d = q.dim(2);
  d.lk = k.dim(0);
  d.hkv = k.dim(1);
  RA_CHECK_EQ(UsageError, k.dim(2), d.d, "head_dim of 'k' must equal head_dim of 'q'");
  RA_CHECK_GE(UsageError, d.hkv, 1, "kv heads of 'k'");
  RA_CHECK_GE(UsageError, d.hq, 1, "query heads of 'q'");
  RA_CHECK_EQ(UsageError, d.hq % d.hkv, 0, "query heads (", d.hq, ") must be a multiple of kv heads (", d.hkv, ")");
  expect_head_dim(d.d, support.head_dims);
  expect_dtype("k", k, q.dtype());
  expect_shape("v", v, k.shape());
  expect_dtype("v", v, q.dtype());
  expect_meta("q_meta", qm, d.lq);
  expect_meta("k_meta", km, d.lk);
  RA_CHECK_GE(UsageError, mask.rule.window, 0, "sliding window must be >= 0 (0 = none)");
  RA_CHECK(UsageError, mask.scale == mask.scale && mask.scale > 0.0f && mask.scale < __builtin_huge_valf(),
           "softmax scale must be finite and > 0, got ", mask.scale);
  if (!mask.alibi_slopes.empty()) {
    expect_shape("alibi_slopes", mask.alibi_slopes, Shape{d.hq});
    expect_dtype("alibi_slopes", mask.alibi_slopes, DType::kF32);
  }
  return d;
}

}  // namespace

void validate_state(const SoftmaxState& s) {
  expect_rank("state.acc", s.acc, 3);
  expect_dtype("state.acc", s.acc, DType::kF32);
  const Shape rows{s.acc.dim(1), s.acc.dim(0)};
  expect_shape("state.row_max", s.row_max, rows);
  expect_dtype("state.row_max", s.row_max, DType::kF32);
  expect_shape("state.row_sum", s.row_sum, rows);
  expect_dtype("state.row_sum", s.row_sum, DType::kF32);
}

AttnDims validate_forward(const ForwardArgs& a, const BackendSupport& support) {
  const AttnDims d = common_dims(a.q, a.k, a.v, a.q_meta, a.k_meta, a.mask, support);
  validate_state(a.state);
  expect_shape("state.acc", a.state.acc, a.q.shape());
  return d;
}

void validate_finalize(const FinalizeArgs& a, const BackendSupport& support) {
  validate_state(a.state);
  expect_shape("o", a.o, a.state.acc.shape());
  expect_storage_dtype("o", a.o, support.storage);
  expect_shape("lse", a.lse, a.state.row_max.shape());
  expect_dtype("lse", a.lse, DType::kF32);
}

void validate_backward_prepare(const BackwardPrepareArgs& a, const BackendSupport& support) {
  expect_rank("o", a.o, 3);
  expect_storage_dtype("o", a.o, support.storage);
  expect_shape("dout", a.dout, a.o.shape());
  expect_dtype("dout", a.dout, a.o.dtype());
  expect_shape("dsum", a.dsum, Shape{a.o.dim(1), a.o.dim(0)});
  expect_dtype("dsum", a.dsum, DType::kF32);
}

AttnDims validate_backward(const BackwardArgs& a, const BackendSupport& support) {
  const AttnDims d = common_dims(a.q, a.k, a.v, a.q_meta, a.k_meta, a.mask, support);
  expect_shape("dout", a.dout, a.q.shape());
  expect_dtype("dout", a.dout, a.q.dtype());
  const Shape rows{d.hq, d.lq};
  expect_shape("lse", a.lse, rows);
  expect_dtype("lse", a.lse, DType::kF32);
  expect_shape("dsum", a.dsum, rows);
  expect_dtype("dsum", a.dsum, DType::kF32);
  expect_shape("dq", a.dq, a.q.shape());
  expect_dtype("dq", a.dq, DType::kF32);
  expect_shape("dk", a.dk, a.k.shape());
  expect_dtype("dk", a.dk, DType::kF32);
  expect_shape("dv", a.dv, a.k.shape());
  expect_dtype("dv", a.dv, DType::kF32);
  return d;
}

void validate_merge(const MergeArgs& a) {
  expect_rank("o_a", a.o_a, 3);
  expect_dtype("o_a", a.o_a, DType::kF32);
  expect_shape("o_b", a.o_b, a.o_a.shape());
  expect_dtype("o_b", a.o_b, DType::kF32);
  const Shape rows{a.o_a.dim(1), a.o_a.dim(0)};
  expect_shape("lse_a", a.lse_a, rows);
  expect_dtype("lse_a", a.lse_a, DType::kF32);
  expect_shape("lse_b", a.lse_b, rows);
  expect_dtype("lse_b", a.lse_b, DType::kF32);
}

}  // namespace ra::kernels

#include "runtime/selftest/attention_selftest.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/reference/naive_attention.h"

namespace ra::selftest {
namespace {

std::vector<float> to_floats(const HostBuffer& b, DType dtype, std::size_t n) {
  std::vector<float> out(n);
  visit_float_storage(dtype, [&](auto type) {
    using T = decltype(type);
    const T* p = static_cast<const T*>(b.raw());
    for (std::size_t i = 0; i < n; ++i) out[i] = to_float(p[i]);
  });
  return out;
}

HostBuffer random_storage(std::size_t n, DType dtype, std::mt19937_64& rng) {
  HostBuffer b(n * dtype_size_bytes(dtype));
  std::normal_distribution<float> dist(0.0f, 1.0f);
  visit_float_storage(dtype, [&](auto type) {
    using T = decltype(type);
    T* p = static_cast<T*>(b.raw());
    for (std::size_t i = 0; i < n; ++i) p[i] = from_float<T>(dist(rng));
  });
  return b;
}

OutputError compare(const std::string& name, const std::vector<float>& got, const std::vector<float>& ref,
                    double tolerance) {
  OutputError e{name, 0, tolerance, -1};
  for (std::size_t i = 0; i < ref.size(); ++i) {
    // -inf must match -inf; NaN never passes.
    const double d = std::isinf(ref[i]) || std::isinf(got[i]) ? (got[i] == ref[i] ? 0.0 : INFINITY)
                                                              : std::fabs(static_cast<double>(got[i]) - ref[i]);
    if (!(d <= e.max_err)) {
      e.max_err = std::isnan(d) ? INFINITY : d;
      e.at = static_cast<std::int64_t>(i);
    }
  }
  return e;
}

double max_abs_finite(const std::vector<float>& v) {
  double m = 0;
  for (float x : v)
    if (std::isfinite(x)) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

int storage_mantissa_bits(DType t) { return t == DType::kBF16 ? 8 : t == DType::kF16 ? 11 : 24; }

// The buffers of one case on one side (host for the CPU kernels, placed for the op).
struct Side {
  TensorView q, k, v, dout, o, lse, dsum, acc, mx, sm, dq, dk, dv;
};

// The unit roundoff of the op's products of P and dS: an op that rounds them to the
// storage type (the CUDA kernels' default fast precision) has u = 2^-8 bf16, 2^-11 fp16
// (docs/numerics.md "Error of 16-bit P and dS"); one that multiplies at fp32 (the CPU
// kernels, the CUDA kernels' exact precision) has 0.
double product_roundoff(const kernels::AttentionBlockOp& op, DType storage) {
  return op.product_rounding() == kernels::ProductRounding::kStorage ? reference::unit_roundoff(storage) : 0.0;
}

double max_of(const std::vector<double>& x) {
  double m = 0;
  for (double e : x) m = std::max(m, e);
  return m;
}

}  // namespace

bool SelftestResult::ok() const {
  return std::all_of(errors.begin(), errors.end(), [](const OutputError& e) { return e.ok(); });
}

std::vector<SelftestCase> selftest_cases(SelftestScale scale) {
  const std::int64_t tokens = scale == SelftestScale::kEmulator ? 70 : 1000;
  std::vector<SelftestCase> out;
  for (DType storage : {DType::kBF16, DType::kF16}) {
    for (std::int64_t d : {64, 128}) {
      const std::string suffix = std::string(dtype_name(storage)) + " D=" + std::to_string(d);
      SelftestCase c;
      c.storage = storage;
      c.head_dim = d;
      c.tokens = tokens;
      c.heads = 4;
      c.kv_heads = 2;
      c.name = "causal GQA " + suffix;
      c.rule = {numerics::MaskKind::kCausal, 0};
      out.push_back(c);
      c.name = "bidir window ALiBi " + suffix;
      c.rule = {numerics::MaskKind::kBidirectional, static_cast<std::int32_t>(tokens / 5)};
      c.alibi = true;
      out.push_back(c);
      c.name = "causal packed+padding " + suffix;
      c.rule = {numerics::MaskKind::kCausal, 0};
      c.alibi = false;
      c.documents = 3;
      c.padding_tokens = tokens / 10;
      out.push_back(c);
    }
  }
  return out;
}

SelftestResult run_selftest_case(const SelftestCase& c, kernels::AttentionBlockOp& reference,
                                 kernels::AttentionBlockOp& op, TensorPlacement& where) {
  const std::int64_t L = c.tokens, hq = c.heads, hkv = c.kv_heads, d = c.head_dim;
  const Shape q_shape{L, hq, d}, kv_shape{L, hkv, d}, rows{hq, L};
  const auto q_elems = static_cast<std::size_t>(L * hq * d), kv_elems = static_cast<std::size_t>(L * hkv * d),
             row_elems = static_cast<std::size_t>(hq * L);
  std::mt19937_64 rng(static_cast<std::uint64_t>(L * 131 + d * 7 + hq));
  const HostBuffer q = random_storage(q_elems, c.storage, rng), k = random_storage(kv_elems, c.storage, rng),
                   v = random_storage(kv_elems, c.storage, rng), dout = random_storage(q_elems, c.storage, rng);
  std::vector<std::int32_t> pos(static_cast<std::size_t>(L)), seg(static_cast<std::size_t>(L));
  const std::int64_t real = L - c.padding_tokens, doc_len = (real + c.documents - 1) / c.documents;
  for (std::int64_t i = 0; i < L; ++i) {
    const bool pad = i >= real;
    seg[static_cast<std::size_t>(i)] = pad ? -1 : static_cast<std::int32_t>(i / doc_len);
    pos[static_cast<std::size_t>(i)] = pad ? 0 : static_cast<std::int32_t>(i % doc_len);
  }
  std::vector<float> slopes(static_cast<std::size_t>(hq));
  for (std::int64_t h = 0; h < hq; ++h)
    slopes[static_cast<std::size_t>(h)] = std::exp2(-8.0f * static_cast<float>(h + 1) / static_cast<float>(hq));

  kernels::MaskSpec mask;
  mask.rule = c.rule;
  mask.scale = 1.0f / std::sqrt(static_cast<float>(d));
  const ConstTensorView pos_host(pos.data(), DType::kI32, Shape{L}), seg_host(seg.data(), DType::kI32, Shape{L});
  const ConstTensorView slopes_host(slopes.data(), DType::kF32, Shape{hq});

  // The reference on host memory.
  HostBuffer o_ref = HostBuffer::for_shape(c.storage, q_shape), lse_ref = HostBuffer::for_shape(DType::kF32, rows),
             dsum_ref = HostBuffer::for_shape(DType::kF32, rows), acc = HostBuffer::for_shape(DType::kF32, q_shape),
             mx = HostBuffer::for_shape(DType::kF32, rows), sm = HostBuffer::for_shape(DType::kF32, rows),
             dq_ref = HostBuffer::for_shape(DType::kF32, q_shape),
             dk_ref = HostBuffer::for_shape(DType::kF32, kv_shape),
             dv_ref = HostBuffer::for_shape(DType::kF32, kv_shape);
  dq_ref.fill_zero();
  dk_ref.fill_zero();
  dv_ref.fill_zero();
  kernels::MaskSpec ref_mask = mask;
  if (c.alibi) ref_mask.alibi_slopes = slopes_host;
  const kernels::TokenMeta meta_host{pos_host, seg_host};
  const kernels::SoftmaxState state_ref{acc.view(DType::kF32, q_shape), mx.view(DType::kF32, rows),
                                        sm.view(DType::kF32, rows)};
  reference.init_state(state_ref);
  reference.forward_accumulate({q.view(c.storage, q_shape), k.view(c.storage, kv_shape), v.view(c.storage, kv_shape),
                                meta_host, meta_host, ref_mask, state_ref});
  reference.finalize({state_ref, o_ref.view(c.storage, q_shape), lse_ref.view(DType::kF32, rows)});
  reference.backward_prepare(
      {o_ref.view(c.storage, q_shape), dout.view(c.storage, q_shape), dsum_ref.view(DType::kF32, rows)});
  reference.backward({q.view(c.storage, q_shape), k.view(c.storage, kv_shape), v.view(c.storage, kv_shape),
                      dout.view(c.storage, q_shape), lse_ref.view(DType::kF32, rows), dsum_ref.view(DType::kF32, rows),
                      meta_host, meta_host, ref_mask, dq_ref.view(DType::kF32, q_shape),
                      dk_ref.view(DType::kF32, kv_shape), dv_ref.view(DType::kF32, kv_shape)});

  // The op under test, on its own memory, one operation at a time on identical inputs.
  Side s;
  s.q = where.place(q.raw(), c.storage, q_shape);
  s.k = where.place(k.raw(), c.storage, kv_shape);
  s.v = where.place(v.raw(), c.storage, kv_shape);
  s.dout = where.place(dout.raw(), c.storage, q_shape);
  s.o = where.place(nullptr, c.storage, q_shape);
  s.lse = where.place(nullptr, DType::kF32, rows);
  s.dsum = where.place(nullptr, DType::kF32, rows);
  s.acc = where.place(nullptr, DType::kF32, q_shape);
  s.mx = where.place(nullptr, DType::kF32, rows);
  s.sm = where.place(nullptr, DType::kF32, rows);
  s.dq = where.place(nullptr, DType::kF32, q_shape);
  s.dk = where.place(nullptr, DType::kF32, kv_shape);
  s.dv = where.place(nullptr, DType::kF32, kv_shape);
  const TensorView pos_dev = where.place(pos.data(), DType::kI32, Shape{L});
  const TensorView seg_dev = where.place(seg.data(), DType::kI32, Shape{L});
  kernels::MaskSpec op_mask = mask;
  if (c.alibi) op_mask.alibi_slopes = where.place(slopes.data(), DType::kF32, Shape{hq});
  const kernels::TokenMeta meta{pos_dev, seg_dev};
  const kernels::SoftmaxState state{s.acc, s.mx, s.sm};
  op.init_state(state);
  op.forward_accumulate({s.q, s.k, s.v, meta, meta, op_mask, state});
  op.finalize({state, s.o, s.lse});
  // Dsum from the reference's O; the backward from the reference's LSE and Dsum.
  const TensorView o_in = where.place(o_ref.raw(), c.storage, q_shape);
  op.backward_prepare({o_in, s.dout, s.dsum});
  const TensorView lse_in = where.place(lse_ref.raw(), DType::kF32, rows);
  const TensorView dsum_in = where.place(dsum_ref.raw(), DType::kF32, rows);
  op.backward({s.q, s.k, s.v, s.dout, lse_in, dsum_in, meta, meta, op_mask, s.dq, s.dk, s.dv});
  where.synchronize();

  auto fetched = [&](const TensorView& t, DType dtype, std::size_t n) {
    HostBuffer h(n * dtype_size_bytes(dtype));
    where.fetch(t, h.raw());
    return to_floats(h, dtype, n);
  };
  const std::vector<float> o = fetched(s.o, c.storage, q_elems), lse = fetched(s.lse, DType::kF32, row_elems),
                           dsum = fetched(s.dsum, DType::kF32, row_elems), dq = fetched(s.dq, DType::kF32, q_elems),
                           dk = fetched(s.dk, DType::kF32, kv_elems), dv = fetched(s.dv, DType::kF32, kv_elems);
  const std::vector<float> o_r = to_floats(o_ref, c.storage, q_elems),
                           lse_r = to_floats(lse_ref, DType::kF32, row_elems),
                           dsum_r = to_floats(dsum_ref, DType::kF32, row_elems),
                           dq_r = to_floats(dq_ref, DType::kF32, q_elems),
                           dk_r = to_floats(dk_ref, DType::kF32, kv_elems),
                           dv_r = to_floats(dv_ref, DType::kF32, kv_elems);
  SelftestResult r;
  r.c = c;
  const double ulp = std::ldexp(1.0, -storage_mantissa_bits(c.storage));
  // 16-bit P and dS (kFast): each tolerance of O, dQ, dK, dV grows by the derived bound
  // u · max(mag16), the f64 reference's first-order error coefficients on these inputs.
  double o16 = 0, dq16 = 0, dk16 = 0, dv16 = 0;
  if (const double u = product_roundoff(op, c.storage); u > 0) {
    reference::AttnCase rc;
    rc.name = c.name;
    rc.lq = rc.lk = L;
    rc.hq = hq;
    rc.hkv = hkv;
    rc.d = d;
    rc.causal = c.rule.kind == numerics::MaskKind::kCausal;
    rc.window = c.rule.window;
    rc.scale = mask.scale;
    rc.alibi = c.alibi;
    rc.storage = c.storage;
    rc.q = to_floats(q, c.storage, q_elems);
    rc.k = to_floats(k, c.storage, kv_elems);
    rc.v = to_floats(v, c.storage, kv_elems);
    rc.dout = to_floats(dout, c.storage, q_elems);
    rc.pos_q = rc.pos_k = pos;
    rc.seg_q = rc.seg_k = seg;
    if (c.alibi) rc.slopes = slopes;
    const reference::AttnResult<double> ref = reference::naive_attention<double>(rc);
    o16 = u * max_of(ref.o_mag16);
    dq16 = u * max_of(ref.dq_mag16);
    dk16 = u * max_of(ref.dk_mag16);
    dv16 = u * max_of(ref.dv_mag16);
  }
  r.errors.push_back(compare("O", o, o_r, 2 * ulp * std::max(1.0, max_abs_finite(o_r)) + o16));
  r.errors.push_back(compare("LSE", lse, lse_r, 1e-5 * std::max(1.0, max_abs_finite(lse_r))));
  r.errors.push_back(compare("Dsum", dsum, dsum_r, 1e-5 * std::max(1.0, max_abs_finite(dsum_r))));
  r.errors.push_back(compare("dQ", dq, dq_r, 1e-4 * max_abs_finite(dq_r) + dq16));
  r.errors.push_back(compare("dK", dk, dk_r, 1e-4 * max_abs_finite(dk_r) + dk16));
  r.errors.push_back(compare("dV", dv, dv_r, 1e-4 * max_abs_finite(dv_r) + dv16));
  return r;
}

}  // namespace ra::selftest

#include "runtime/selftest/selftest_timing.h"

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "runtime/core/measure.h"

namespace ra::selftest {
namespace {

// Visible (query, key) pairs of one head: a causal mask over one document, counted.
double visible_pairs(const SelftestCase& c) {
  const double l = static_cast<double>(c.tokens);
  return c.rule.kind == numerics::MaskKind::kCausal ? l * (l + 1) / 2 : l * l;
}

}  // namespace

SelftestCase throughput_case(DType storage, std::int64_t head_dim) {
  SelftestCase c;
  c.name = std::string("causal L=8192 H=16 ") + std::string(dtype_name(storage)) + " D=" + std::to_string(head_dim);
  c.storage = storage;
  c.tokens = 8192;
  c.heads = 16;
  c.kv_heads = 16;
  c.head_dim = head_dim;
  c.rule = {numerics::MaskKind::kCausal, 0};
  return c;
}

ThroughputResult time_case(const SelftestCase& c, kernels::AttentionBlockOp& op, TensorPlacement& where, int reps) {
  const std::int64_t L = c.tokens, hq = c.heads, hkv = c.kv_heads, d = c.head_dim;
  const Shape q_shape{L, hq, d}, kv_shape{L, hkv, d}, rows{hq, L};
  HostBuffer host_q = HostBuffer::for_shape(c.storage, q_shape), host_kv = HostBuffer::for_shape(c.storage, kv_shape);
  host_q.fill_zero();  // timing only: the values do not change the work of a full causal mask
  host_kv.fill_zero();
  std::vector<std::int32_t> pos(static_cast<std::size_t>(L)), seg(static_cast<std::size_t>(L), 0);
  for (std::int64_t i = 0; i < L; ++i) pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
  const TensorView q = where.place(host_q.raw(), c.storage, q_shape),
                   k = where.place(host_kv.raw(), c.storage, kv_shape),
                   v = where.place(host_kv.raw(), c.storage, kv_shape),
                   dout = where.place(host_q.raw(), c.storage, q_shape);
  const TensorView o = where.place(nullptr, c.storage, q_shape), lse = where.place(nullptr, DType::kF32, rows),
                   dsum = where.place(nullptr, DType::kF32, rows), acc = where.place(nullptr, DType::kF32, q_shape),
                   mx = where.place(nullptr, DType::kF32, rows), sm = where.place(nullptr, DType::kF32, rows),
                   dq = where.place(nullptr, DType::kF32, q_shape), dk = where.place(nullptr, DType::kF32, kv_shape),
                   dv = where.place(nullptr, DType::kF32, kv_shape);
  const kernels::TokenMeta meta{where.place(pos.data(), DType::kI32, Shape{L}),
                                where.place(seg.data(), DType::kI32, Shape{L})};
  kernels::MaskSpec mask;
  mask.rule = c.rule;
  mask.scale = 1.0f / std::sqrt(static_cast<float>(d));
  const kernels::SoftmaxState state{acc, mx, sm};
  auto forward = [&] {
    op.init_state(state);
    op.forward_accumulate({q, k, v, meta, meta, mask, state});
    op.finalize({state, o, lse});
  };
  auto backward = [&] {
    op.backward_prepare({o, dout, dsum});
    op.backward({q, k, v, dout, lse, dsum, meta, meta, mask, dq, dk, dv});
  };
  auto seconds = [&](auto&& work) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    where.synchronize();
    return seconds_since(t0);
  };
  seconds(forward);  // warm-up
  seconds(backward);
  std::vector<double> f, b;
  for (int i = 0; i < reps; ++i) {
    f.push_back(seconds(forward));
    b.push_back(seconds(backward));
  }
  ThroughputResult r;
  r.c = c;
  r.fwd_seconds = median(f, EvenCount::kUpperMiddle);
  r.bwd_seconds = median(b, EvenCount::kUpperMiddle);
  r.fwd_flops = 4.0 * visible_pairs(c) * static_cast<double>(d) * static_cast<double>(hq);
  r.bwd_flops = 2.5 * r.fwd_flops;
  return r;
}

}  // namespace ra::selftest

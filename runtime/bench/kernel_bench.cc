#include "runtime/bench/kernel_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>

#include "runtime/core/check.h"
#include "runtime/core/measure.h"
#include "runtime/core/tensor_view.h"

namespace ra::bench {
namespace {

const char* op_name(KernelOp op) { return op == KernelOp::kForward ? "fwd" : "bwd"; }
const char* dtype_label(DType t) { return t == DType::kF32 ? "fp32" : "bf16"; }

void fill_random(const TensorView& t, std::mt19937_64& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (std::int64_t i = 0; i < t.numel_elems(); ++i) {
    if (t.dtype() == DType::kF32) {
      t.data<float>()[i] = dist(rng);
    } else {
      t.data<bf16>()[i] = to_bf16(dist(rng));
    }
  }
}

}  // namespace

double attention_flops(KernelOp op, std::int64_t len, std::int64_t head_dim, std::int64_t heads,
                       const numerics::MaskRule& mask) {
  // Query i sees keys j with i − j in [lo, hi] ∩ [i − (L−1), i]: count per row.
  const std::int64_t w = mask.window > 0 ? mask.window : len;
  double pairs = 0;
  for (std::int64_t i = 0; i < len; ++i) {
    const std::int64_t before = std::min<std::int64_t>(i, w - 1);  // keys j < i
    const std::int64_t after =
        mask.kind == numerics::MaskKind::kCausal ? 0 : std::min<std::int64_t>(len - 1 - i, w - 1);
    pairs += static_cast<double>(before + after + 1);
  }
  const double f = 4.0 * pairs * static_cast<double>(head_dim) * static_cast<double>(heads);
  return op == KernelOp::kBackward ? 2.5 * f : f;
}

KernelBenchResult run_kernel_bench(kernels::AttentionBlockOp& op, const KernelBenchOptions& o) {
  RA_CHECK(UsageError, o.dtype == DType::kF32 || o.dtype == DType::kBF16, "--dtype must be fp32 or bf16");
  RA_CHECK_GE(UsageError, o.len, 1, "--len");
  RA_CHECK_GE(UsageError, o.timed_reps, 1, "timed repetitions");
  const std::int64_t l = o.len, hq = o.heads, hkv = o.kv_heads, d = o.head_dim;

  const Shape q_shape{l, hq, d}, kv_shape{l, hkv, d}, rows{hq, l};
  HostBuffer q_buf = HostBuffer::for_shape(o.dtype, q_shape), k_buf = HostBuffer::for_shape(o.dtype, kv_shape),
             v_buf = HostBuffer::for_shape(o.dtype, kv_shape), o_buf = HostBuffer::for_shape(o.dtype, q_shape),
             do_buf = HostBuffer::for_shape(o.dtype, q_shape);
  HostBuffer pos_buf = HostBuffer::for_shape(DType::kI32, Shape{l}),
             seg_buf = HostBuffer::for_shape(DType::kI32, Shape{l});
  HostBuffer acc_buf = HostBuffer::for_shape(DType::kF32, q_shape), max_buf = HostBuffer::for_shape(DType::kF32, rows),
             sum_buf = HostBuffer::for_shape(DType::kF32, rows), lse_buf = HostBuffer::for_shape(DType::kF32, rows),
             dsum_buf = HostBuffer::for_shape(DType::kF32, rows);
  HostBuffer dq_buf = HostBuffer::for_shape(DType::kF32, q_shape),
             dk_buf = HostBuffer::for_shape(DType::kF32, kv_shape),
             dv_buf = HostBuffer::for_shape(DType::kF32, kv_shape);
  // A bad --heads/--kv-heads/--head-dim is reported by the block operation's own
  // validation (ra::UsageError), on the first call below.
  std::mt19937_64 rng(1234);
  const TensorView q = q_buf.view(o.dtype, q_shape), k = k_buf.view(o.dtype, kv_shape),
                   v = v_buf.view(o.dtype, kv_shape);
  fill_random(q, rng);
  fill_random(k, rng);
  fill_random(v, rng);
  fill_random(do_buf.view(o.dtype, q_shape), rng);
  const TensorView pos = pos_buf.view(DType::kI32, Shape{l}), seg = seg_buf.view(DType::kI32, Shape{l});
  for (std::int64_t i = 0; i < l; ++i) {
    pos.data<std::int32_t>()[i] = static_cast<std::int32_t>(i);
    seg.data<std::int32_t>()[i] = 0;
  }
  kernels::MaskSpec mask;
  mask.rule.kind = o.mask;
  mask.rule.window = o.window;
  mask.scale = 1.0f / std::sqrt(static_cast<float>(d));
  const kernels::TokenMeta meta{pos, seg};
  const kernels::SoftmaxState state{acc_buf.view(DType::kF32, q_shape), max_buf.view(DType::kF32, rows),
                                    sum_buf.view(DType::kF32, rows)};
  const kernels::ForwardArgs fwd{q, k, v, meta, meta, mask, state};

  auto forward_once = [&] {
    op.init_state(state);
    op.forward_accumulate(fwd);
  };
  const kernels::BackwardArgs bwd{q,
                                  k,
                                  v,
                                  do_buf.view(o.dtype, q_shape),
                                  lse_buf.view(DType::kF32, rows),
                                  dsum_buf.view(DType::kF32, rows),
                                  meta,
                                  meta,
                                  mask,
                                  dq_buf.view(DType::kF32, q_shape),
                                  dk_buf.view(DType::kF32, kv_shape),
                                  dv_buf.view(DType::kF32, kv_shape)};
  if (o.op == KernelOp::kBackward) {
    forward_once();
    op.finalize({state, o_buf.view(o.dtype, q_shape), lse_buf.view(DType::kF32, rows)});
    op.backward_prepare(
        {o_buf.view(o.dtype, q_shape), do_buf.view(o.dtype, q_shape), dsum_buf.view(DType::kF32, rows)});
  }
  auto backward_once = [&] {
    dq_buf.fill_zero();
    dk_buf.fill_zero();
    dv_buf.fill_zero();
    op.backward(bwd);
  };

  KernelBenchResult r;
  r.options = o;
  for (int rep = 0; rep < o.warmup_reps + o.timed_reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.op == KernelOp::kForward) {
      forward_once();
    } else {
      backward_once();
    }
    const double dt = seconds_since(t0);
    if (rep >= o.warmup_reps) r.samples_seconds.push_back(dt);
  }
  r.seconds = median(r.samples_seconds, EvenCount::kMeanOfMiddles);
  r.gflops = attention_flops(o.op, l, d, hq, mask.rule) / r.seconds / 1e9;
  return r;
}

std::string to_json_line(const KernelBenchResult& r) {
  const KernelBenchOptions& o = r.options;
  nlohmann::json j = {{"op", op_name(o.op)},
                      {"dtype", dtype_label(o.dtype)},
                      {"head_dim", o.head_dim},
                      {"heads", o.heads},
                      {"kv_heads", o.kv_heads},
                      {"len", o.len},
                      {"causal", o.mask == numerics::MaskKind::kCausal},
                      {"window", o.window},
                      {"threads", o.threads},
                      {"reps", o.timed_reps},
                      {"seconds", r.seconds},
                      {"gflops", r.gflops},
                      {"samples_seconds", r.samples_seconds}};
  return j.dump();
}

void print_table(std::ostream& os, const std::vector<KernelBenchResult>& results) {
  os << std::left << std::setw(5) << "op" << std::setw(6) << "dtype" << std::right << std::setw(6) << "D"
     << std::setw(7) << "Hq" << std::setw(7) << "Hkv" << std::setw(8) << "L" << std::setw(8) << "causal" << std::setw(8)
     << "window" << std::setw(9) << "threads" << std::setw(12) << "median s" << std::setw(10) << "GFLOP/s" << '\n';
  for (const KernelBenchResult& r : results) {
    const KernelBenchOptions& o = r.options;
    os << std::left << std::setw(5) << op_name(o.op) << std::setw(6) << dtype_label(o.dtype) << std::right
       << std::setw(6) << o.head_dim << std::setw(7) << o.heads << std::setw(7) << o.kv_heads << std::setw(8) << o.len
       << std::setw(8) << (o.mask == numerics::MaskKind::kCausal ? "yes" : "no") << std::setw(8) << o.window
       << std::setw(9) << o.threads << std::setw(12) << std::fixed << std::setprecision(4) << r.seconds << std::setw(10)
       << std::setprecision(1) << r.gflops << '\n';
  }
}

}  // namespace ra::bench

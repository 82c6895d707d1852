#include "runtime/bench/ring_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <limits>

#include "runtime/bench/synthetic_shard.h"
#include "runtime/core/check.h"
#include "runtime/core/measure.h"
#include "runtime/device/device_tensor.h"
#include "runtime/ring/ring_attention.h"
#include "runtime/trace/step_stats.h"
#include "runtime/trace/timeline.h"

namespace ra::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Tensor ids of the synthetic generator.
enum : std::uint64_t { kQ = 1, kK = 2, kV = 3, kDout = 4 };

// Which tensors a shard holds: the ring's has every input; the local-only measurement's
// blocks are K and V (and metadata) of the rank whose block it stands in for.
enum class ShardParts : std::uint8_t { kAll, kKeysOnly };

// One rank's shard: inputs in the storage dtype and the tokens' metadata on the backend's
// device. Each fill generates them in temporary host buffers, uploads and waits, so host
// copies of the inputs exist only while a fill runs (runtime/plan/memory_model.h counts
// them as a phase of their own): at 2^20 tokens on two ranks they are gigabytes.
struct Shard {
  Shard(const layout::ShardPlan& plan, int rank, const RingBenchOptions& o, const ring::RingContext& ctx,
        ShardParts parts)
      : n(plan.shard_len),
        q_shape{n, o.heads, o.head_dim},
        kv_shape{n, o.kv_heads, o.head_dim},
        pos(static_cast<std::size_t>(n)),
        seg(static_cast<std::size_t>(n)),
        k_dev(ctx.device, o.dtype, kv_shape),
        v_dev(ctx.device, o.dtype, kv_shape),
        pos_dev(ctx.device, DType::kI32, Shape{n}),
        seg_dev(ctx.device, DType::kI32, Shape{n}) {
    if (parts == ShardParts::kAll) {
      q_dev = device::DeviceTensor(ctx.device, o.dtype, q_shape);
      dout_dev = device::DeviceTensor(ctx.device, o.dtype, q_shape);
    }
    fill(plan, rank, o, ctx.compute);
  }
  // Rebuilds the inputs as rank `rank` holds them (K, V and metadata; Q and dO too when
  // this shard has them) and uploads them on `stream`; returns once they are there.
  void fill(const layout::ShardPlan& plan, int rank, const RingBenchOptions& o, device::Stream& stream) {
    const std::int64_t q_row = o.heads * o.head_dim, kv_row = o.kv_heads * o.head_dim;
    const auto upload_generated = [&](device::DeviceTensor& dst, std::uint64_t id, std::int64_t row, const Shape& s) {
      HostBuffer host = HostBuffer::for_shape(o.dtype, s);
      fill_synthetic_rows(plan, rank, o.seed, id, row, o.dtype, host.raw());
      dst.upload(host.raw(), stream);
      stream.synchronize();  // before `host` goes
    };
    if (!q_dev.empty()) {
      upload_generated(q_dev, kQ, q_row, q_shape);
      upload_generated(dout_dev, kDout, q_row, q_shape);
    }
    upload_generated(k_dev, kK, kv_row, kv_shape);
    upload_generated(v_dev, kV, kv_row, kv_shape);
    fill_synthetic_meta(plan, rank, pos.data(), seg.data());
    pos_dev.upload(pos.data(), stream);
    seg_dev.upload(seg.data(), stream);
    stream.synchronize();
  }
  // The metadata on the host (the ring's schedule reads it) and on the device (kernels).
  kernels::TokenMeta host_meta() const {
    return {ConstTensorView(pos.data(), DType::kI32, Shape{n}), ConstTensorView(seg.data(), DType::kI32, Shape{n})};
  }
  kernels::TokenMeta meta() const { return {pos_dev.view(), seg_dev.view()}; }

  std::int64_t n;
  Shape q_shape, kv_shape;
  std::vector<std::int32_t> pos, seg;
  device::DeviceTensor q_dev, k_dev, v_dev, dout_dev, pos_dev, seg_dev;  // q, dout: kAll only
};

// The same block computations as this rank's ring pass, with every block already local:
// the "local kernel alone" time of the ring efficiency. Block contents are generated
// and uploaded outside the timed region; buffers are allocated once. The op may run
// asynchronously (CUDA), so each timed region ends with a synchronize of its stream.
struct LocalTimes {
  double fwd = 0, bwd = 0;
};

class LocalWork {
 public:
  LocalWork(const layout::ShardPlan& plan, int rank, const RingBenchOptions& o, const ring::RingContext& ctx)
      : plan_(plan),
        rank_(rank),
        o_(o),
        ctx_(ctx),
        rows_{o.heads, plan.shard_len},
        block_(plan, rank, o, ctx, ShardParts::kKeysOnly),
        acc_(ctx.device, DType::kF32, block_.q_shape),
        mx_(ctx.device, DType::kF32, rows_),
        sm_(ctx.device, DType::kF32, rows_),
        dsum_(ctx.device, DType::kF32, rows_),
        lse_(ctx.device, DType::kF32, rows_),
        o_out_(ctx.device, o.dtype, block_.q_shape),
        dq_(ctx.device, DType::kF32, block_.q_shape),
        dk_(ctx.device, DType::kF32, block_.kv_shape),
        dv_(ctx.device, DType::kF32, block_.kv_shape) {
    mask_.rule = o.mask;
    mask_.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(o.head_dim)));
  }

  LocalTimes run(const ring::RingSchedule& sched, const Shard& mine, ConstTensorView o_ring, ConstTensorView lse_ring) {
    kernels::AttentionBlockOp& op = ctx_.op;
    device::Stream& stream = ctx_.compute;
    const kernels::SoftmaxState state{acc_.view(), mx_.view(), sm_.view()};
    const ConstTensorView q = mine.q_dev.view(), dout = mine.dout_dev.view();
    ctx_.device.fill_zero(dq_.view(), stream);
    LocalTimes t;
    auto timed = [&](double& total, const auto& work) {
      stream.synchronize();
      const auto t0 = Clock::now();
      work();
      stream.synchronize();
      total += seconds_since(t0);
    };
    timed(t.fwd, [&] { op.init_state(state); });
    for (int s = 0; s <= sched.last_step(); ++s) {
      if (!sched.computes(rank_, s)) continue;
      block_.fill(plan_, sched.block_at(rank_, s), o_, stream);
      timed(t.fwd, [&] {
        op.forward_accumulate({q, block_.k_dev.view(), block_.v_dev.view(), mine.meta(), block_.meta(), mask_, state});
      });
    }
    timed(t.fwd, [&] { op.finalize({state, o_out_.view(), lse_.view()}); });
    timed(t.bwd, [&] { op.backward_prepare({o_ring, dout, dsum_.view()}); });
    for (int s = 0; s <= sched.last_step(); ++s) {
      if (!sched.computes(rank_, s)) continue;
      block_.fill(plan_, sched.block_at(rank_, s), o_, stream);
      ctx_.device.fill_zero(dk_.view(), stream);
      ctx_.device.fill_zero(dv_.view(), stream);
      timed(t.bwd, [&] {
        op.backward({q, block_.k_dev.view(), block_.v_dev.view(), dout, lse_ring, dsum_.view(), mine.meta(),
                     block_.meta(), mask_, dq_.view(), dk_.view(), dv_.view()});
      });
    }
    return t;
  }

 private:
  layout::ShardPlan plan_;
  int rank_;
  RingBenchOptions o_;
  ring::RingContext ctx_;
  Shape rows_;
  Shard block_;
  kernels::MaskSpec mask_;
  device::DeviceTensor acc_, mx_, sm_, dsum_, lse_, o_out_, dq_, dk_, dv_;
};

// Σ|x| over a float tensor of any storage type, in f64.
double abs_sum(const HostBuffer& b, DType dtype, std::int64_t n_elems) {
  double sum = 0;
  visit_float_storage(dtype, [&](auto type) {
    using T = decltype(type);
    const T* p = static_cast<const T*>(b.raw());
    for (std::int64_t i = 0; i < n_elems; ++i) sum += std::fabs(static_cast<double>(to_float(p[i])));
  });
  return sum;
}

double max_over_ranks(comm::Communicator& comm, double x) {
  comm.all_reduce(TensorView(&x, DType::kF64, Shape{1}), comm::ReduceOp::kMax);
  return x;
}

// Every rank's per-step figures, gathered: each rank sends the same fixed-size table.
std::vector<RingStepFigures> gather_steps(comm::Communicator& comm, const std::vector<trace::StepStats>& mine,
                                          int last_step, int reps) {
  const int p = comm.size(), per_rank = 2 * (last_step + 1);
  constexpr int kFields = 4;
  const auto table_elems = static_cast<std::size_t>(per_rank * kFields);
  std::vector<double> table(table_elems, 0.0), all(static_cast<std::size_t>(p) * table_elems);
  for (const trace::StepStats& s : mine) {
    if (s.step < 0 || s.step > last_step) continue;
    const int row = (s.pass == "bwd" ? last_step + 1 : 0) + s.step;
    double* f = &table[static_cast<std::size_t>(row * kFields)];
    f[0] = s.computed ? 1 : 0;
    f[1] = s.compute_seconds / reps;
    f[2] = s.comm_seconds / reps;
    f[3] = s.wait_seconds / reps;
  }
  comm.all_gather(ConstTensorView(table.data(), DType::kF64, Shape{per_rank, kFields}),
                  TensorView(all.data(), DType::kF64, Shape{p, per_rank, kFields}));
  std::vector<RingStepFigures> out;
  for (int r = 0; r < p; ++r) {
    for (int i = 0; i < per_rank; ++i) {
      const double* f = &all[static_cast<std::size_t>((r * per_rank + i) * kFields)];
      out.push_back({r, i <= last_step ? "fwd" : "bwd", i % (last_step + 1), f[0] != 0, f[1], f[2], f[3]});
    }
  }
  return out;
}

}  // namespace

double visible_pairs(std::int64_t len, const numerics::MaskRule& mask) {
  const auto l = static_cast<double>(len);
  const std::int64_t w = mask.window;
  if (mask.kind == numerics::MaskKind::kCausal) {
    if (w <= 0 || w >= len) return l * (l + 1) / 2;
    // Query i sees min(i + 1, W) keys.
    const auto wd = static_cast<double>(w);
    return wd * (wd + 1) / 2 + (l - wd) * wd;
  }
  if (w <= 0 || w >= len) return l * l;
  // Query i sees keys j with |i - j| < W: 2W - 1 in the middle, fewer at the two ends.
  double pairs = 0;
  for (std::int64_t i = 0; i < len; ++i) {
    pairs += static_cast<double>(std::min<std::int64_t>(i, w - 1) + std::min<std::int64_t>(len - 1 - i, w - 1) + 1);
  }
  return pairs;
}

RingBenchResult run_ring_bench(const ring::RingContext& ctx, trace::Timeline& timeline, const RingBenchOptions& o) {
  comm::Communicator& comm = ctx.comm;
  RA_CHECK_GE(UsageError, o.timed_reps, 1, "bench repetitions");
  RA_CHECK_EQ(UsageError, o.heads % o.kv_heads, 0, "heads must be a multiple of kv heads");
  const int rank = comm.rank();
  const layout::ShardPlan plan = layout::plan_shards(o.layout, comm.size(), o.seq_len);
  Shard mine(plan, rank, o, ctx, ShardParts::kAll);
  const std::int64_t n = mine.n;
  const Shape rows{o.heads, n};

  kernels::MaskSpec mask;
  mask.rule = o.mask;
  mask.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(o.head_dim)));
  ctx.compute.synchronize();  // the shard's uploads
  const ring::RingShard shard{mine.q_dev.view(),
                              mine.k_dev.view(),
                              mine.v_dev.view(),
                              {mine.meta(), mine.meta()},
                              {mine.host_meta(), mine.host_meta()}};
  // Three phases, each freeing what the next does not need (runtime/plan/memory_model.h's
  // bench_memory mirrors them): the ring repetitions; the digest, after the ring's buffers
  // went; the local-only measurement, after the ring's gradients went.
  auto ring = std::make_unique<ring::RingAttention>(ctx, mask, shard);

  device::DeviceTensor out_dev(ctx.device, o.dtype, mine.q_shape), lse_dev(ctx.device, DType::kF32, rows),
      dq_dev(ctx.device, DType::kF32, mine.q_shape), dk_dev(ctx.device, DType::kF32, mine.kv_shape),
      dv_dev(ctx.device, DType::kF32, mine.kv_shape);
  const TensorView o_view = out_dev.view(), lse_view = lse_dev.view();

  // Ring repetitions first; the peak memory is taken before the local-only measurement
  // allocates its own block buffers.
  std::vector<double> fwd, bwd, local_fwd, local_bwd, wait_fraction;
  // Exposed communication is the compute stream's waiting, seen through the device's
  // stream observer: CPU streams report their spans from their threads, CUDA streams
  // from timing events around each wait (how long the GPU sat there). A device whose
  // streams report nothing gets NaN ("not measured"), never 0.
  bool compute_observed = false;
  const long total_reps = 2L * (o.warmup_reps + o.timed_reps);
  long reps_done = 0;
  auto progress = [&] {
    if (o.on_progress) o.on_progress(++reps_done, total_reps);
  };
  for (int rep = 0; rep < o.warmup_reps + o.timed_reps; ++rep) {
    comm.barrier();
    if (rep == o.warmup_reps) timeline.reset_origin();
    const std::size_t spans_before = timeline.spans().size();
    auto t0 = Clock::now();
    ring->forward(o_view, lse_view);
    const double f = seconds_since(t0);
    comm.barrier();
    t0 = Clock::now();
    ring->backward(o_view, lse_view, mine.dout_dev.view(), dq_dev.view(), dk_dev.view(), dv_dev.view());
    const double b = seconds_since(t0);
    progress();
    if (rep < o.warmup_reps) continue;
    double waited = 0;
    const auto spans = timeline.spans();
    for (std::size_t i = spans_before; i < spans.size(); ++i) {
      if (spans[i].track != "compute") continue;
      compute_observed = true;
      if (spans[i].kind == device::SpanKind::kWait) waited += spans[i].dur_us * 1e-6;
    }
    fwd.push_back(max_over_ranks(comm, f));
    bwd.push_back(max_over_ranks(comm, b));
    wait_fraction.push_back(max_over_ranks(comm, waited / (f + b)));
  }
  const std::int64_t ring_peak_rss = peak_rss_bytes();
  const ring::RingSchedule schedule = ring->schedule();
  ring.reset();
  // The last repetition's outputs, summed over the whole sequence (OutputDigest): one
  // tensor at a time through a host buffer of its size.
  const auto downloaded_sum = [&](const device::DeviceTensor& t, DType dtype, const Shape& shape) {
    HostBuffer h = HostBuffer::for_shape(dtype, shape);
    t.download(h.raw(), ctx.compute);
    ctx.compute.synchronize();
    return abs_sum(h, dtype, shape.numel_elems());
  };
  double digest[5] = {
      downloaded_sum(out_dev, o.dtype, mine.q_shape), 0, downloaded_sum(dq_dev, DType::kF32, mine.q_shape),
      downloaded_sum(dk_dev, DType::kF32, mine.kv_shape), downloaded_sum(dv_dev, DType::kF32, mine.kv_shape)};
  {
    HostBuffer lse = HostBuffer::for_shape(DType::kF32, rows);
    lse_dev.download(lse.raw(), ctx.compute);
    ctx.compute.synchronize();
    for (std::int64_t i = 0; i < rows.numel_elems(); ++i) {
      const float x = static_cast<const float*>(lse.raw())[i];
      if (std::isfinite(x)) digest[1] += x;
    }
  }
  dq_dev = device::DeviceTensor();  // the local-only measurement has its own
  dk_dev = device::DeviceTensor();
  dv_dev = device::DeviceTensor();
  comm.all_reduce(TensorView(digest, DType::kF64, Shape{5}), comm::ReduceOp::kSum);
  LocalWork local(plan, rank, o, ctx);
  for (int rep = 0; rep < o.warmup_reps + o.timed_reps; ++rep) {
    comm.barrier();  // ranks measure together, as they compute together in the ring
    const LocalTimes t = local.run(schedule, mine, o_view, lse_view);
    progress();
    if (rep < o.warmup_reps) continue;
    local_fwd.push_back(max_over_ranks(comm, t.fwd));
    local_bwd.push_back(max_over_ranks(comm, t.bwd));
  }

  RingBenchResult r;
  r.options = o;
  r.ranks = comm.size();
  r.last_step = schedule.last_step();
  r.fwd_seconds = median(fwd, EvenCount::kUpperMiddle);
  r.bwd_seconds = median(bwd, EvenCount::kUpperMiddle);
  r.local_fwd_seconds = median(local_fwd, EvenCount::kUpperMiddle);
  r.local_bwd_seconds = median(local_bwd, EvenCount::kUpperMiddle);
  r.ring_efficiency_fwd = r.local_fwd_seconds / r.fwd_seconds;
  r.ring_efficiency_bwd = r.local_bwd_seconds / r.bwd_seconds;
  r.ring_efficiency = (r.local_fwd_seconds + r.local_bwd_seconds) / (r.fwd_seconds + r.bwd_seconds);
  r.exposed_comm_fraction = max_over_ranks(comm, compute_observed ? 1.0 : 0.0) > 0
                                ? median(wait_fraction, EvenCount::kUpperMiddle)
                                : std::numeric_limits<double>::quiet_NaN();
  const double total = r.fwd_seconds + r.bwd_seconds;
  const double flops = 4.0 * visible_pairs(o.seq_len, o.mask) * static_cast<double>(o.head_dim * o.heads) * 3.5;
  r.tokens_per_s = static_cast<double>(o.seq_len) / total;
  r.gflops = flops / total * 1e-9;
  r.gflops_per_rank = r.gflops / r.ranks;
  r.peak_rss_bytes = static_cast<std::int64_t>(max_over_ranks(comm, static_cast<double>(ring_peak_rss)));
  r.o_abs_sum = digest[0];
  r.lse_sum = digest[1];
  r.dq_abs_sum = digest[2];
  r.dk_abs_sum = digest[3];
  r.dv_abs_sum = digest[4];
  r.steps = gather_steps(comm, trace::step_stats(timeline.spans(), "compute", "comm"), r.last_step, o.timed_reps);
  if (o.trace == TraceExport::kGather) r.trace_json = trace::gather_chrome_trace(comm, timeline);
  return r;
}

}  // namespace ra::bench

#include "tests/support/ring_harness.h"

#include <algorithm>

#include "kernels/cpu/cpu_attention.h"
#include "runtime/core/check.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/ring/ring_attention.h"

namespace ra::testing {
namespace {

HostBuffer to_storage(const std::vector<float>& x, DType dtype) {
  HostBuffer b(x.size() * dtype_size_bytes(dtype));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (dtype == DType::kF32) {
      static_cast<float*>(b.raw())[i] = x[i];
    } else {
      static_cast<bf16*>(b.raw())[i] = to_bf16(x[i]);
    }
  }
  return b;
}

std::vector<float> to_floats(const ConstTensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel_elems()));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = t.dtype() == DType::kF32 ? t.data<float>()[i] : to_float(t.data<bf16>()[i]);
  return out;
}

// The shard of a [L, row_elems] storage array.
HostBuffer shard_of(const layout::ShardPlan& plan, int rank, const HostBuffer& full, std::int64_t row_bytes) {
  HostBuffer out(static_cast<std::size_t>(plan.shard_len * row_bytes));
  layout::shard_rows(plan, rank, full.raw(), row_bytes, out.raw());
  return out;
}

// Puts this rank's rows of a [n, row_elems] f32 shard into a zeroed full [L, row_elems]
// array and sums over ranks: each element has exactly one non-zero contributor, so the
// sum is exact (x + 0 = x, -inf + 0 = -inf).
std::vector<float> gather_rows(comm::Communicator& comm, const layout::ShardPlan& plan, const std::vector<float>& shard,
                               std::int64_t row_elems) {
  std::vector<float> full(static_cast<std::size_t>(plan.seq_len * row_elems), 0.0f);
  layout::unshard_rows(plan, comm.rank(), shard.data(), row_elems * static_cast<std::int64_t>(sizeof(float)),
                       full.data());
  comm.all_reduce(TensorView(full.data(), DType::kF32, Shape{static_cast<std::int64_t>(full.size())}),
                  comm::ReduceOp::kSum);
  return full;
}

// [H, n] -> [n, H] and back, so that LSE rows are tokens for shard/unshard.
std::vector<float> transpose(const std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  std::vector<float> out(x.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[static_cast<std::size_t>(c * rows + r)] = x[static_cast<std::size_t>(r * cols + c)];
  return out;
}

// Counts the block computations the ring asked for (schedule skipping is observable).
class CountingOp final : public kernels::AttentionBlockOp {
 public:
  explicit CountingOp(kernels::AttentionBlockOp& inner) : inner_(inner) {}
  void init_state(const kernels::SoftmaxState& s) override { inner_.init_state(s); }
  void forward_accumulate(const kernels::ForwardArgs& a) override {
    ++forward_calls;
    inner_.forward_accumulate(a);
  }
  void finalize(const kernels::FinalizeArgs& a) override { inner_.finalize(a); }
  void backward_prepare(const kernels::BackwardPrepareArgs& a) override { inner_.backward_prepare(a); }
  void backward(const kernels::BackwardArgs& a) override {
    ++backward_calls;
    inner_.backward(a);
  }
  void merge(const kernels::MergeArgs& a) override { inner_.merge(a); }
  int forward_calls = 0, backward_calls = 0;

 private:
  kernels::AttentionBlockOp& inner_;
};

}  // namespace

RingRun run_ring(comm::Communicator& comm, const AttnCase& c, const RingRunOptions& options) {
  RA_CHECK_EQ(InternalError, c.lq, c.lk, "ring harness: self-attention cases only");
  const int rank = comm.rank();
  const layout::ShardPlan plan = layout::plan_shards(options.layout, comm.size(), c.lq);
  const std::int64_t n = plan.shard_len;
  const DType st = c.storage;
  const std::int64_t q_row_elems = c.hq * c.d, kv_row_elems = c.hkv * c.d;
  const auto es = static_cast<std::int64_t>(dtype_size_bytes(st));

  const HostBuffer q = shard_of(plan, rank, to_storage(c.q, st), q_row_elems * es);
  const HostBuffer k = shard_of(plan, rank, to_storage(c.k, st), kv_row_elems * es);
  const HostBuffer v = shard_of(plan, rank, to_storage(c.v, st), kv_row_elems * es);
  const HostBuffer dout = shard_of(plan, rank, to_storage(c.dout, st), q_row_elems * es);
  std::vector<std::int32_t> pos(static_cast<std::size_t>(n)), seg(static_cast<std::size_t>(n));
  layout::shard_meta(plan, rank, c.pos_q.data(), c.seg_q.data(), pos.data(), seg.data());

  const Shape q_shape{n, c.hq, c.d}, kv_shape{n, c.hkv, c.d}, rows_shape{c.hq, n};
  const kernels::TokenMeta meta{ConstTensorView(pos.data(), DType::kI32, Shape{n}),
                                ConstTensorView(seg.data(), DType::kI32, Shape{n})};
  const ring::RingShard shard{q.view(st, q_shape), k.view(st, kv_shape), v.view(st, kv_shape), meta, meta};
  kernels::MaskSpec mask;
  mask.rule = {c.causal ? kernels::MaskKind::kCausal : kernels::MaskKind::kBidirectional, c.window};
  mask.scale = static_cast<float>(c.scale);
  if (c.alibi) mask.alibi_slopes = ConstTensorView(c.slopes.data(), DType::kF32, Shape{c.hq});

  device::cpu::CpuDevice dev;
  auto compute = dev.create_stream("compute");
  auto comm_stream = dev.create_stream("comm");
  kernels::cpu::CpuAttention cpu_op(options.kernel);
  CountingOp op(cpu_op);
  ring::RingAttention ring({dev, *compute, *comm_stream, comm, op}, mask, shard);

  HostBuffer o = HostBuffer::for_shape(st, q_shape), lse = HostBuffer::for_shape(DType::kF32, rows_shape);
  HostBuffer dq = HostBuffer::for_shape(DType::kF32, q_shape), dk = HostBuffer::for_shape(DType::kF32, kv_shape),
             dv = HostBuffer::for_shape(DType::kF32, kv_shape);
  ring.forward(o.view(st, q_shape), lse.view(DType::kF32, rows_shape));
  ring.backward(o.view(st, q_shape), lse.view(DType::kF32, rows_shape), dout.view(st, q_shape),
                dq.view(DType::kF32, q_shape), dk.view(DType::kF32, kv_shape), dv.view(DType::kF32, kv_shape));

  RingRun run;
  run.schedule = ring.schedule();
  run.forward_blocks = op.forward_calls;
  run.backward_blocks = op.backward_calls;
  run.kv_bytes = ring.kv_layout().total_bytes();
  run.dkv_bytes = 2 * static_cast<std::size_t>(n * kv_row_elems) * sizeof(float);
  const std::vector<float> lse_local = to_floats(lse.view(DType::kF32, rows_shape));
  run.result.o = gather_rows(comm, plan, to_floats(o.view(st, q_shape)), q_row_elems);
  run.result.lse = transpose(gather_rows(comm, plan, transpose(lse_local, c.hq, n), c.hq), c.lq, c.hq);
  run.result.dq = gather_rows(comm, plan, to_floats(dq.view(DType::kF32, q_shape)), q_row_elems);
  run.result.dk = gather_rows(comm, plan, to_floats(dk.view(DType::kF32, kv_shape)), kv_row_elems);
  run.result.dv = gather_rows(comm, plan, to_floats(dv.view(DType::kF32, kv_shape)), kv_row_elems);
  return run;
}

}  // namespace ra::testing

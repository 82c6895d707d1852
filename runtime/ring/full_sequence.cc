#include "runtime/ring/full_sequence.h"

#include "runtime/core/check.h"
#include "runtime/device/device_tensor.h"
#include "runtime/ring/ring_attention.h"

namespace ra::ring {
namespace {

std::vector<float> to_floats(const ConstTensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel_elems()));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = t.dtype() == DType::kF32    ? t.data<float>()[i]
             : t.dtype() == DType::kBF16 ? to_float(t.data<bf16>()[i])
                                         : to_float(t.data<f16>()[i]);
  return out;
}

// This rank's rows of a token-major tensor.
HostBuffer shard_of(const layout::ShardPlan& plan, int rank, const ConstTensorView& full) {
  const auto row_bytes = static_cast<std::int64_t>(full.size_bytes()) / full.dim(0);
  HostBuffer out(static_cast<std::size_t>(plan.shard_len * row_bytes));
  layout::shard_rows(plan, rank, full.raw(), row_bytes, out.raw());
  return out;
}

// The full [S, row_elems] array from every rank's [n, row_elems] f32 shard: an
// all-gather of the shards, then each rank's real rows put back in sequence order.
std::vector<float> gather_rows(comm::Communicator& comm, const layout::ShardPlan& plan, const std::vector<float>& shard,
                               std::int64_t row_elems) {
  const int p = comm.size();
  std::vector<float> shards(static_cast<std::size_t>(p) * shard.size());
  const auto shard_elems = static_cast<std::int64_t>(shard.size());
  comm.all_gather(ConstTensorView(shard.data(), DType::kF32, Shape{shard_elems}),
                  TensorView(shards.data(), DType::kF32, Shape{p, shard_elems}));
  std::vector<float> full(static_cast<std::size_t>(plan.seq_len * row_elems));
  for (int r = 0; r < p; ++r) {
    layout::unshard_rows(plan, r, shards.data() + static_cast<std::size_t>(r) * shard.size(),
                         row_elems * static_cast<std::int64_t>(sizeof(float)), full.data());
  }
  return full;
}

// [rows, cols] -> [cols, rows]: LSE is [H, n]; shard/unshard move token rows.
std::vector<float> transpose(const std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  std::vector<float> out(x.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[static_cast<std::size_t>(c * rows + r)] = x[static_cast<std::size_t>(r * cols + c)];
  return out;
}

}  // namespace

FullSequenceResult ring_attention_full(const RingContext& ctx, const FullSequence& in,
                                       const FullSequenceOptions& options) {
  comm::Communicator& comm = ctx.comm;
  const std::int64_t s = in.q.dim(0), hq = in.q.dim(1), d = in.q.dim(2), hkv = in.k.dim(1);
  RA_CHECK_EQ(UsageError, in.k.dim(0), s, "keys vs queries (tokens)");
  const int rank = comm.rank();
  const layout::ShardPlan plan = layout::plan_shards(options.layout, comm.size(), s);
  const std::int64_t n = plan.shard_len;
  const DType st = in.q.dtype();

  // This rank's shard in host memory, then in the backend's device memory (the same
  // memory on the cpu and simt backends; a copy costs O(shard) against the ring's work).
  const HostBuffer q = shard_of(plan, rank, in.q), k = shard_of(plan, rank, in.k), v = shard_of(plan, rank, in.v);
  std::vector<std::int32_t> pos_q(static_cast<std::size_t>(n)), seg_q(pos_q.size()), pos_k(pos_q.size()),
      seg_k(pos_q.size());
  layout::shard_meta(plan, rank, in.q_meta.pos.data<std::int32_t>(), in.q_meta.seg.data<std::int32_t>(), pos_q.data(),
                     seg_q.data());
  layout::shard_meta(plan, rank, in.k_meta.pos.data<std::int32_t>(), in.k_meta.seg.data<std::int32_t>(), pos_k.data(),
                     seg_k.data());
  auto meta = [n](const std::vector<std::int32_t>& pos, const std::vector<std::int32_t>& seg) {
    return kernels::TokenMeta{ConstTensorView(pos.data(), DType::kI32, Shape{n}),
                              ConstTensorView(seg.data(), DType::kI32, Shape{n})};
  };
  const ShardMeta host_meta{meta(pos_q, seg_q), meta(pos_k, seg_k)};
  const Shape q_shape{n, hq, d}, kv_shape{n, hkv, d}, rows_shape{hq, n};
  device::Device& dev = ctx.device;
  device::Stream& stream = ctx.compute;
  auto up = [&](const ConstTensorView& host) { return device::DeviceTensor::upload_of(dev, host, stream); };
  const device::DeviceTensor q_dev = up(q.view(st, q_shape)), k_dev = up(k.view(st, kv_shape)),
                             v_dev = up(v.view(st, kv_shape));
  const device::DeviceTensor pos_q_dev = up(host_meta.q.pos), seg_q_dev = up(host_meta.q.seg),
                             pos_k_dev = up(host_meta.k.pos), seg_k_dev = up(host_meta.k.seg);
  const device::DeviceTensor slopes_dev = in.alibi_slopes.empty() ? device::DeviceTensor() : up(in.alibi_slopes);
  const ShardMeta dev_meta{{pos_q_dev.view(), seg_q_dev.view()}, {pos_k_dev.view(), seg_k_dev.view()}};
  const RingShard shard{q_dev.view(), k_dev.view(), v_dev.view(), dev_meta, host_meta};
  const kernels::MaskSpec mask{options.rule, options.scale, slopes_dev.view()};

  RingAttention ring(ctx, mask, shard);

  device::DeviceTensor o_dev(dev, st, q_shape), lse_dev(dev, DType::kF32, rows_shape);
  ring.forward(o_dev.view(), lse_dev.view());
  HostBuffer o = HostBuffer::for_shape(st, q_shape), lse = HostBuffer::for_shape(DType::kF32, rows_shape);
  o_dev.download(o.raw(), stream);
  lse_dev.download(lse.raw(), stream);
  stream.synchronize();

  FullSequenceResult r;
  r.schedule = ring.schedule();
  r.kv_bytes = ring.kv_layout().total_bytes();
  r.dkv_bytes = 2 * static_cast<std::size_t>(n * hkv * d) * sizeof(float);
  r.o = gather_rows(comm, plan, to_floats(o.view(st, q_shape)), hq * d);
  r.lse = transpose(gather_rows(comm, plan, transpose(to_floats(lse.view(DType::kF32, rows_shape)), hq, n), hq), s, hq);
  if (in.dout.empty()) return r;

  const HostBuffer dout = shard_of(plan, rank, in.dout);
  const device::DeviceTensor dout_dev = up(dout.view(st, q_shape));
  device::DeviceTensor dq_dev(dev, DType::kF32, q_shape), dk_dev(dev, DType::kF32, kv_shape),
      dv_dev(dev, DType::kF32, kv_shape);
  ring.backward(o_dev.view(), lse_dev.view(), dout_dev.view(), dq_dev.view(), dk_dev.view(), dv_dev.view());
  HostBuffer dq = HostBuffer::for_shape(DType::kF32, q_shape), dk = HostBuffer::for_shape(DType::kF32, kv_shape),
             dv = HostBuffer::for_shape(DType::kF32, kv_shape);
  dq_dev.download(dq.raw(), stream);
  dk_dev.download(dk.raw(), stream);
  dv_dev.download(dv.raw(), stream);
  stream.synchronize();
  r.dq = gather_rows(comm, plan, to_floats(dq.view(DType::kF32, q_shape)), hq * d);
  r.dk = gather_rows(comm, plan, to_floats(dk.view(DType::kF32, kv_shape)), hkv * d);
  r.dv = gather_rows(comm, plan, to_floats(dv.view(DType::kF32, kv_shape)), hkv * d);
  return r;
}

}  // namespace ra::ring

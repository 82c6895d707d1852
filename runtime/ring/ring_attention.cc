// Ring attention, one pass per call. Every rank runs the same loop:
//
//   for step s = 0 .. last_step:
//     post the exchange that brings the KV block of step s+1     (comm stream)
//     compute step s with the block it holds                     (compute stream)
//     wait for the block of step s+1, swap the two buffers
//
// Events order the two streams: a receive into a buffer waits until the compute stream
// has finished reading it (free_), the compute stream waits until a block arrived
// (arrived_). The host only enqueues; it blocks once, at the end of the pass.
#include "runtime/ring/ring_attention.h"

#include <functional>
#include <string>
#include <tuple>

#include "runtime/core/check.h"
#include "runtime/ring/gather_schedule.h"

namespace ra::ring {

RingAttention::RingAttention(const RingContext& ctx, const kernels::MaskSpec& mask, const RingShard& shard)
    : ctx_(ctx), mask_(mask), shard_(shard), rank_(ctx.comm.rank()) {
  const std::int64_t n = shard.q.dim(0), hq = shard.q.dim(1), d = shard.q.dim(2), hkv = shard.k.dim(1);
  RA_CHECK_EQ(UsageError, shard.k.dim(0), n, "ring shard: K tokens vs Q tokens");
  RA_CHECK_EQ(UsageError, shard.host_meta.q.pos.numel_elems(), n, "ring shard: query positions vs tokens");
  RA_CHECK_EQ(UsageError, shard.host_meta.k.pos.numel_elems(), n, "ring shard: key positions vs tokens");
  schedule_ = gather_schedule(ctx.comm, shard.host_meta.q, shard.host_meta.k, n, mask.rule);
  kv_layout_ = KvLayout{n, hkv, d, shard.k.dtype()};
  allocate_blocks();
  for (int i = 0; i < 2; ++i) {
    arrived_[i] = ctx.device.create_event();
    free_[i] = ctx.device.create_event();
  }
  const std::size_t rows_bytes = static_cast<std::size_t>(hq * n) * sizeof(float);
  acc_ = ctx.device.allocate(static_cast<std::size_t>(n * hq * d) * sizeof(float));
  row_max_ = ctx.device.allocate(rows_bytes);
  row_sum_ = ctx.device.allocate(rows_bytes);
  dsum_ = ctx.device.allocate(rows_bytes);
  packed_ = ctx.device.create_event();
  dkv_ready_ = ctx.device.create_event();
  dkv_arrived_ = ctx.device.create_event();
}

// A ring of one step (one rank, or a window that reaches no other rank) never receives:
// it needs one KV block and one dK/dV block, not the second buffers and the partial.
// Allocates what the schedule needs and the ring does not hold yet.
void RingAttention::allocate_blocks() {
  const int buffers = schedule_.last_step() > 0 ? 2 : 1;
  const std::int64_t n = kv_layout_.tokens, hkv = kv_layout_.kv_heads, d = kv_layout_.head_dim;
  for (int i = 0; i < buffers; ++i) {
    if (!kv_[i]) kv_[i] = std::make_unique<KvBlock>(ctx_.device, kv_layout_);
    if (!dkv_[i]) dkv_[i] = std::make_unique<DkvBlock>(ctx_.device, n, hkv, d);
  }
  if (buffers == 2 && !dkv_part_) dkv_part_ = std::make_unique<DkvBlock>(ctx_.device, n, hkv, d);
}

void RingAttention::reset_tokens(const ShardMeta& meta, const ShardMeta& host_meta) {
  const std::int64_t n = kv_layout_.tokens;
  RA_CHECK_EQ(InternalError, host_meta.q.pos.numel_elems(), n, "ring reset: query positions vs the ring's tokens");
  RA_CHECK_EQ(InternalError, host_meta.k.pos.numel_elems(), n, "ring reset: key positions vs the ring's tokens");
  shard_.meta = meta;
  shard_.host_meta = host_meta;
  schedule_ = gather_schedule(ctx_.comm, host_meta.q, host_meta.k, n, mask_.rule);
  allocate_blocks();
}

void RingAttention::rebind(ConstTensorView q, ConstTensorView k, ConstTensorView v) {
  for (const auto& [now, was, name] : {std::tuple{&q, &shard_.q, "q"}, {&k, &shard_.k, "k"}, {&v, &shard_.v, "v"}}) {
    RA_CHECK(InternalError, now->shape() == was->shape() && now->dtype() == was->dtype(), "ring rebind: ", name,
             " differs in shape or dtype from the tensor the ring was built for");
  }
  shard_.q = q;
  shard_.k = k;
  shard_.v = v;
}

void RingAttention::pack_local_kv(KvBlock& dst) {
  ctx_.device.copy(dst.k(), shard_.k, ctx_.compute);
  ctx_.device.copy(dst.v(), shard_.v, ctx_.compute);
  ctx_.device.copy(dst.pos(), shard_.meta.k.pos, ctx_.compute);
  ctx_.device.copy(dst.seg(), shard_.meta.k.seg, ctx_.compute);
  ctx_.compute.record(*packed_);
  ctx_.comm_stream.wait(*packed_);
}

// Every way out of a pass waits for both streams, so that no queued work outlives its
// buffers and events (a failed stream skips its remaining work; exchanges have
// deadlines, so this cannot hang); the first failure is rethrown.
void RingAttention::run_pass(const std::function<void()>& enqueue) {
  std::exception_ptr failure;
  try {
    enqueue();
  } catch (...) {
    failure = std::current_exception();
  }
  for (device::Stream* stream : {&ctx_.compute, &ctx_.comm_stream}) {
    try {
      stream->synchronize();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

RingAttention::~RingAttention() {
  for (device::Stream* stream : {&ctx_.compute, &ctx_.comm_stream}) {
    try {
      stream->synchronize();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the pass that failed has reported it
    }
  }
}

// Every hop of the ring: on the comm stream, it starts once `ready` has completed (the
// compute stream is done with the buffers it sends and receives into), and `arrived`
// completes once its data is in.
void RingAttention::post_hop(device::Event& ready, const comm::Exchange& hop, device::Event& arrived) {
  ctx_.comm_stream.wait(ready);
  ctx_.comm.exchange(hop, ctx_.comm_stream);
  ctx_.comm_stream.record(arrived);
}

// The hop that brings the block of step s + 1 into the other buffer (once the compute
// stream is done reading it) and passes the held one on.
void RingAttention::post_next_kv(const char* phase, int s) {
  const int nxt = (s + 1) % 2;
  post_hop(*free_[nxt],
           {kv_[s % 2]->bytes(), schedule_.next(rank_), kv_[nxt]->bytes(), schedule_.prev(rank_),
            comm::CommTag{phase, s + 1, s + 1}},
           *arrived_[nxt]);
}

// A dK/dV hop leaves once everything enqueued on the compute stream so far (the sum it
// sends) has run; dkv_arrived_ tells the compute stream when the incoming one is in.
void RingAttention::post_dkv_hop(const comm::Exchange& hop) {
  ctx_.compute.record(*dkv_ready_);
  post_hop(*dkv_ready_, hop, *dkv_arrived_);
}

// An empty span in the compute stream's timeline: the trace shows skipped steps, and
// the wait that follows is attributed to the right step.
void RingAttention::mark_skipped(const char* pass, int step) {
  ctx_.compute.launch(std::string(pass) + " step " + std::to_string(step) + " skipped", [] {});
}

void RingAttention::forward(TensorView o, TensorView lse) {
  run_pass([&] {
    const std::int64_t n = kv_layout_.tokens, hq = shard_.q.dim(1), d = kv_layout_.head_dim;
    const kernels::SoftmaxState state{acc_->view(DType::kF32, Shape{n, hq, d}),
                                      row_max_->view(DType::kF32, Shape{hq, n}),
                                      row_sum_->view(DType::kF32, Shape{hq, n})};
    pack_local_kv(*kv_[0]);
    ctx_.compute.launch("fwd init", [this, state] { ctx_.op.init_state(state); });
    const int last = schedule_.last_step();
    for (int s = 0; s <= last; ++s) {
      KvBlock& cur = *kv_[s % 2];
      const int nxt = (s + 1) % 2;
      if (s < last) post_next_kv(kPhaseFwdKv, s);
      if (schedule_.computes(rank_, s)) {
        const kernels::ForwardArgs args{shard_.q, cur.k(), cur.v(), shard_.meta.q, cur.meta(), mask_, state};
        ctx_.compute.launch("fwd step " + std::to_string(s), [this, args] { ctx_.op.forward_accumulate(args); });
      } else {
        mark_skipped("fwd", s);
      }
      ctx_.compute.record(*free_[s % 2]);
      if (s < last) ctx_.compute.wait(*arrived_[nxt]);
    }
    ctx_.compute.launch("fwd finalize", [this, state, o, lse] { ctx_.op.finalize({state, o, lse}); });
  });
}

// Backward circulates KV again. The fp32 dK/dV of the block a rank holds travel with it:
// at step s this rank's contribution goes into a zeroed partial and is added to the
// accumulator arriving from the previous rank, then passed on — so that hop overlaps
// the next step's compute. After the last step the finished dK/dV go straight back to
// their owner. dQ stays local and accumulates over the steps in schedule order
// (bitwise reproducible at a fixed P).
void RingAttention::backward(ConstTensorView o, ConstTensorView lse, ConstTensorView dout, TensorView dq, TensorView dk,
                             TensorView dv) {
  run_pass([&] {
    const std::int64_t n = kv_layout_.tokens, hq = shard_.q.dim(1);
    const TensorView dsum = dsum_->view(DType::kF32, Shape{hq, n});
    pack_local_kv(*kv_[0]);
    ctx_.device.fill_zero(dq, ctx_.compute);
    ctx_.compute.launch("bwd prepare", [this, o, dout, dsum] { ctx_.op.backward_prepare({o, dout, dsum}); });
    const int last = schedule_.last_step();
    for (int s = 0; s <= last; ++s) {
      KvBlock& cur = *kv_[s % 2];
      const int nxt = (s + 1) % 2;
      if (s < last) post_next_kv(kPhaseBwdKv, s);
      DkvBlock& travelling = *dkv_[s % 2];  // step 0: this rank's own block, starts at zero
      DkvBlock& target = s == 0 ? travelling : *dkv_part_;
      const bool computes = schedule_.computes(rank_, s);
      if (s == 0 || computes) ctx_.device.fill_zero(target.all(), ctx_.compute);
      if (computes) {
        const kernels::BackwardArgs args{shard_.q,      cur.k(),    cur.v(), dout, lse,         dsum,
                                         shard_.meta.q, cur.meta(), mask_,   dq,   target.dk(), target.dv()};
        ctx_.compute.launch("bwd step " + std::to_string(s), [this, args] { ctx_.op.backward(args); });
      } else {
        mark_skipped("bwd", s);
      }
      if (s > 0) {
        ctx_.compute.wait(*dkv_arrived_);
        if (computes) ctx_.device.add_f32(travelling.all(), dkv_part_->all(), ctx_.compute);
      }
      ctx_.compute.record(*free_[s % 2]);
      if (s < last) {
        post_dkv_hop({travelling.all(), schedule_.next(rank_), dkv_[nxt]->all(), schedule_.prev(rank_),
                      comm::CommTag{kPhaseBwdDkv, s + 1, s + 1}});
        ctx_.compute.wait(*arrived_[nxt]);
      }
    }
    DkvBlock* own = dkv_[last % 2].get();
    if (last > 0) {
      post_dkv_hop({own->all(), schedule_.dkv_owner_of_final(rank_), dkv_[(last + 1) % 2]->all(),
                    schedule_.dkv_final_from(rank_), comm::CommTag{kPhaseBwdDkvReturn, last, last + 1}});
      ctx_.compute.wait(*dkv_arrived_);
      own = dkv_[(last + 1) % 2].get();
    }
    ctx_.device.copy(dk, own->dk(), ctx_.compute);
    ctx_.device.copy(dv, own->dv(), ctx_.compute);
  });
}

}  // namespace ra::ring

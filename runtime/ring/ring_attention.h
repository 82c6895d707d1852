// Ring attention across the ranks of a communicator (docs/design.md §5). Read
// ring_attention.cc first: it is the algorithm.
#pragma once

#include <functional>
#include <memory>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/device/device.h"
#include "runtime/ring/kv_block.h"
#include "runtime/ring/schedule.h"

namespace ra::ring {

// Where the ring runs. The block operation must run on `compute` (CPU: it is called on
// the compute stream's worker; CUDA: it launches on that stream).
struct RingContext {
  device::Device& device;
  device::Stream& compute;
  device::Stream& comm_stream;
  comm::Communicator& comm;
  kernels::AttentionBlockOp& op;
};

// This rank's shard: Q [n, Hq, D], K and V [n, Hkv, D] (storage dtype, device memory)
// and the tokens' metadata — for the queries and for the keys, which usually are the
// same views — on the device and on the host (the schedule reads the host copies; on
// CPU they are the same views).
struct ShardMeta {
  kernels::TokenMeta q, k;
};

struct RingShard {
  ConstTensorView q, k, v;
  ShardMeta meta;
  ShardMeta host_meta;
};

class RingAttention {
 public:
  // Collective: gathers every rank's metadata summary and builds the schedule; allocates
  // the double-buffered KV blocks, the softmax state and the dK/dV accumulators.
  RingAttention(const RingContext& ctx, const kernels::MaskSpec& mask, const RingShard& shard);
  // Waits for work still queued on the streams (after a failed pass) before the buffers go.
  ~RingAttention();
  RingAttention(const RingAttention&) = delete;
  RingAttention& operator=(const RingAttention&) = delete;

  // New q, k, v tensors for the same tokens (shapes and dtype as at construction; the
  // metadata, so the schedule, unchanged): the schedule and the buffers are kept. Not
  // collective. Training calls attention 3 × layers times a step on the same tokens: one
  // ring serves them all (ring_attention_fn.cc), without a metadata all-gather and fresh
  // buffers (page faults) per call.
  void rebind(ConstTensorView q, ConstTensorView k, ConstTensorView v);
  // New tokens, as many as before (their metadata: positions, segments): collective —
  // gathers their schedule like the constructor — and keeps the buffers (allocating a
  // second KV and dK/dV block only if the new schedule hops where the old did not).
  // Training's next step reuses the ring this way: no fresh buffers, no page faults.
  void reset_tokens(const ShardMeta& meta, const ShardMeta& host_meta);

  // o: [n, Hq, D] storage dtype; lse: f32 [Hq, n].
  void forward(TensorView o, TensorView lse);
  // dq: f32 [n, Hq, D]; dk, dv: f32 [n, Hkv, D] — overwritten, for this rank's tokens.
  void backward(ConstTensorView o, ConstTensorView lse, ConstTensorView dout, TensorView dq, TensorView dk,
                TensorView dv);

  const RingSchedule& schedule() const { return schedule_; }
  const KvLayout& kv_layout() const { return kv_layout_; }

 private:
  void allocate_blocks();
  void run_pass(const std::function<void()>& enqueue);
  void pack_local_kv(KvBlock& dst);
  void post_hop(device::Event& ready, const comm::Exchange& hop, device::Event& arrived);
  void post_next_kv(const char* phase, int step);
  void post_dkv_hop(const comm::Exchange& hop);
  void mark_skipped(const char* pass, int step);

  RingContext ctx_;
  kernels::MaskSpec mask_;
  RingShard shard_;
  RingSchedule schedule_;
  KvLayout kv_layout_;
  int rank_ = 0;
  std::unique_ptr<KvBlock> kv_[2];
  std::unique_ptr<DkvBlock> dkv_[2], dkv_part_;
  std::unique_ptr<device::DeviceBuffer> acc_, row_max_, row_sum_, dsum_;
  std::unique_ptr<device::Event> packed_, arrived_[2], free_[2], dkv_ready_, dkv_arrived_;
};

}  // namespace ra::ring

// Attention for training on any backend: this rank's tokens of every sequence of the
// batch go through the ring of its sequence-parallel group (runtime/ring) with the
// backend's block operation. The sequences of a batch share one ring pass: their segment
// ids are made distinct per sequence, so the mask keeps them apart. One RingAttention
// serves every call of a function object (the tokens do not change between the layers and
// passes of a step): its schedule is gathered and its buffers allocated once.
//
// The model hands over f32 q, k, v (and o, dout in the backward) and takes back f32 o,
// lse, dq, dk, dv. The CPU kernels store f32 and read them as they are; the CUDA kernels
// (cuda and simt backends) store bf16, so the function keeps bf16 copies
// (AttentionStorage::kBF16): q, k, v, dout rounded to bf16 before the ring, o widened back
// to f32 after it (dq, dk, dv and lse are f32 either way). The casts run on the device
// through the ModelKernels table, on the ring's compute stream.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "kernels/cuda/model/model_dispatch.h"
#include "runtime/device/device.h"
#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"
#include "runtime/ring/ring_attention.h"

namespace ra::model {

// This rank's tokens' metadata, [n] each: global positions and segment ids (−1 = padding).
struct RingTokenMeta {
  const std::int32_t* positions = nullptr;
  const std::int32_t* segments = nullptr;
};

// The dtype q, k, v, o and dout are stored in for the block operation.
enum class AttentionStorage : std::uint8_t { kF32, kBF16 };

struct RingAttentionOptions {
  AttentionStorage storage = AttentionStorage::kF32;
  // The casts of kBF16 (null for kF32): the ModelKernels build of the ring's device.
  const kernels::cuda::ModelKernels* casts = nullptr;
  // The stream q, k, v, o, dout are produced on (the device model's): each pass waits
  // for it through an event, so the caller need not synchronize. Null or ctx.compute:
  // already in the ring's order.
  device::Stream* producer = nullptr;
};

class RingAttentionFn final : public AttentionFn<float> {
 public:
  // Host memory (the CPU model; devices whose memory is the host's): positions, segments
  // of this rank's n tokens serve the schedule and the kernels alike; f32 storage.
  RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, const std::int32_t* positions,
                  const std::int32_t* segments, std::int64_t n);
  // Any device (DeviceTransformer): the kernels read `device_meta`, the schedule reads
  // `host_meta` (the same values); the model's tensors are pointers into ctx.device's
  // memory. The outputs are complete when forward/backward return (the ring
  // synchronizes its streams at the end of a pass).
  RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, RingTokenMeta device_meta,
                  RingTokenMeta host_meta, std::int64_t n, const RingAttentionOptions& options);
  ~RingAttentionFn() override;
  RingAttentionFn(const RingAttentionFn&) = delete;
  RingAttentionFn& operator=(const RingAttentionFn&) = delete;

  // The tokens of the next step, as many as before (n): the next call regathers the
  // ring's schedule (collective, as a new function object would) and keeps its buffers.
  void set_tokens(RingTokenMeta device_meta, RingTokenMeta host_meta);
  void set_tokens(const std::int32_t* positions, const std::int32_t* segments) {
    set_tokens({positions, segments}, {positions, segments});
  }
  std::int64_t tokens() const { return n_; }

  void forward(const float* q, const float* k, const float* v, float* o, float* lse) override;
  void backward(const float* q, const float* k, const float* v, const float* o, const float* lse, const float* dout,
                float* dq, float* dk, float* dv) override;

 private:
  struct Bf16Copies;
  void wait_for_producer();
  // f32 [rows, features] → bf16, on the compute stream.
  void to_bf16(const float* src, void* dst, std::int64_t features);
  // The ring for q, k, v (storage dtype, ctx's device): built on the first call (collective:
  // every rank's first call builds it), rebound to these tensors on later ones.
  ring::RingAttention& ring_for(const void* q, const void* k, const void* v, DType storage);

  ring::RingContext ctx_;  // ctx.comm: the sequence-parallel group
  ModelConfig config_;
  RingTokenMeta device_meta_, host_meta_;
  std::int64_t n_;
  RingAttentionOptions options_;
  std::unique_ptr<device::Event> produced_;
  std::vector<float> slopes_;  // ALiBi
  std::unique_ptr<device::DeviceBuffer> slopes_buffer_;
  const float* slopes_device_ = nullptr;
  std::unique_ptr<Bf16Copies> bf16_;
  std::unique_ptr<ring::RingAttention> ring_;
  bool tokens_changed_ = false;  // set_tokens since the ring last ran
};

// ALiBi slopes 2^(−8(h+1)/H) of the standard recipe.
std::vector<float> alibi_slopes(std::int64_t heads);

}  // namespace ra::model

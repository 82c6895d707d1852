// Attention for training on any backend: this rank's tokens of every sequence of the
// batch go through the ring of its sequence-parallel group (runtime/ring), f32, with the
// backend's block operation. The sequences of a batch share one ring pass: their segment ids are made
// distinct per sequence, so the mask keeps them apart.
#pragma once

#include <cstdint>
#include <vector>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/device/device.h"
#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"
#include "runtime/ring/ring_attention.h"

namespace ra::model {

class RingAttentionFn final : public AttentionFn<float> {
 public:
  // positions, segments: this rank's n tokens (global positions; segment −1 = padding).
  RingAttentionFn(const ring::RingContext& ctx, const ModelConfig& config, const std::int32_t* positions,
                  const std::int32_t* segments, std::int64_t n);

  void forward(const float* q, const float* k, const float* v, float* o, float* lse) override;
  void backward(const float* q, const float* k, const float* v, const float* o, const float* lse, const float* dout,
                float* dq, float* dk, float* dv) override;

 private:
  ring::RingContext ctx_;  // ctx.comm: the sequence-parallel group
  ModelConfig config_;
  const std::int32_t* positions_;
  const std::int32_t* segments_;
  std::int64_t n_;
  std::vector<float> slopes_;
};

// ALiBi slopes 2^(−8(h+1)/H) of the standard recipe.
std::vector<float> alibi_slopes(std::int64_t heads);

}  // namespace ra::model

// Attention for training on the CPU backend: this rank's tokens of every sequence of the
// batch go through the ring of its sequence-parallel group (runtime/ring), f32, with the
// CPU kernels. The sequences of a batch share one ring pass: their segment ids are made
// distinct per sequence, so the mask keeps them apart.
#pragma once

#include <cstdint>
#include <vector>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/device/device.h"
#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"

namespace ra::model {

struct RingResources {
  device::Device& device;
  device::Stream& compute;
  device::Stream& comm_stream;
  comm::Communicator& sp_comm;  // the sequence-parallel group
  kernels::AttentionBlockOp& op;
};

class RingAttentionFn final : public AttentionFn<float> {
 public:
  // positions, segments: this rank's n tokens (global positions; segment −1 = padding).
  RingAttentionFn(const RingResources& res, const ModelConfig& config, const std::int32_t* positions,
                  const std::int32_t* segments, std::int64_t n);

  void forward(const float* q, const float* k, const float* v, float* o, float* lse) override;
  void backward(const float* q, const float* k, const float* v, const float* o, const float* lse, const float* dout,
                float* dq, float* dk, float* dv) override;

 private:
  RingResources res_;
  ModelConfig config_;
  const std::int32_t* positions_;
  const std::int32_t* segments_;
  std::int64_t n_;
  std::vector<float> slopes_;
};

// ALiBi slopes 2^(−8(h+1)/H) of the standard recipe.
std::vector<float> alibi_slopes(std::int64_t heads);

}  // namespace ra::model

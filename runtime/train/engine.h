// The part of training that depends on where the model lives (runtime/train/trainer.cc
// runs the loop, the loss normalization, the reports and the checkpoints over it):
//   host_engine.cc    Transformer<float> and AdamW on host vectors (the cpu backend)
//   device_engine.cc  DeviceTransformer and DeviceAdamW in the backend's device memory
//                     (simt, cuda), with the parts the composition root hands over
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "runtime/model/device_transformer.h"
#include "runtime/ring/backend.h"
#include "runtime/train/optimizer.h"
#include "runtime/train/shard_batch.h"
#include "runtime/train/trainer.h"

namespace ra::train {

// Sums (or maxes) of host doubles over a communicator.
inline void all_reduce(comm::Communicator& c, std::vector<double>& v, comm::ReduceOp op) {
  c.all_reduce(TensorView(v.data(), DType::kF64, Shape{static_cast<std::int64_t>(v.size())}), op);
}
inline double all_reduce_scalar(comm::Communicator& c, double x, comm::ReduceOp op) {
  std::vector<double> v{x};
  all_reduce(c, v, op);
  return v[0];
}

// What differs between the host and the device model: where the parameters, gradients
// and moments live, and how one step and the evaluation's logits are computed. The loop,
// the loss normalization, the reports and the checkpoints are the Trainer's.
struct EngineStep {
  double loss_sum = 0;  // whole job
  StepStats stats;
  // Seconds this rank waited for the gradient all-reduce after its backward had finished
  // (all of it when the reduction is not overlapped), and the all-reduces it issued.
  double exposed_grad_reduce_seconds = 0;
  int grad_buckets = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::size_t param_count() const = 0;
  // Parameters and AdamW moments from / into a checkpoint's state (host vectors).
  virtual void restore(const TrainState& s) = 0;
  virtual void snapshot(TrainState& s) = 0;
  // Forward and backward of this rank's tokens (loss scaled by `scale`), gradients summed
  // over the world, one AdamW update; `step` counts the updates done before this one.
  virtual EngineStep step(const LocalTokens& t, float scale, std::int64_t step) = 0;
  // Logits f32 [t.n, vocab] on the host.
  virtual void logits(const LocalTokens& t, std::vector<float>& out) = 0;
  virtual std::int64_t activation_bytes_per_token() const = 0;
};

// `params`: the initial parameters (host, from the seed). The engines keep references to
// world, backend and options: they must outlive the engine.
std::unique_ptr<Engine> make_host_engine(comm::Communicator& world, ring::Backend& backend, const TrainOptions& o,
                                         std::vector<float> params);
std::unique_ptr<Engine> make_device_engine(comm::Communicator& world, ring::Backend& backend,
                                           std::unique_ptr<model::DeviceModelParts> parts, const TrainOptions& o,
                                           const std::vector<float>& params);

}  // namespace ra::train

// Sequence-parallel training on the backend the composition root builds (docs/training.md). world = dp × sp:
// ranks r = g·sp + s form data-parallel group g, each group a ring of sp ranks over its
// own sequences; every rank holds all parameters. Per step:
//   1. the group's batch (a pure function of the step) is sharded in the ring's layout;
//   2. the global count of tokens with a target is all-reduced over the world, so the
//      loss is the mean over ALL valid tokens (never a mean of per-shard means);
//   3. forward and backward with attention through the ring, loss scaled by 1/count;
//   4. gradients all-reduced (sum) over the world; AdamW with clipping (identical on
//      every rank); 5. records, evaluation, checkpoints, and a preemption check.
// The model runs on the host (Transformer<float>, the cpu backend) or on the backend's
// device (DeviceTransformer and DeviceAdamW with parameters, gradients and moments in
// device memory, attention in bf16 storage: simt, cuda), per the DeviceModelFactory; on
// the device, step 4's sum is the backend's sp then dp communicator (device views).
// Checkpoints hold the same host vectors either way.
// Bitwise deterministic for a fixed world: fixed tiles, fixed reduction orders, data
// and initialization from the seed, no other randomness.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "runtime/layout/sharding.h"
#include "runtime/model/device_transformer.h"
#include "runtime/model/model_config.h"
#include "runtime/ring/backend.h"
#include "runtime/train/batch_source.h"
#include "runtime/train/optimizer.h"

namespace ra::train {

struct TrainOptions {
  model::ModelConfig model;
  AdamWOptions optimizer;
  layout::Layout layout = layout::Layout::kZigzag;
  int dp = 1;
  std::int64_t steps = 100;
  std::uint64_t seed = 1;
  std::int64_t log_every = 10;
  std::int64_t eval_every = 50;  // 0: only at the end
  std::int64_t eval_batches = 4;
  std::int64_t checkpoint_every = 0;  // 0: only at the end and on a stop request
  // The device model's activations and GEMM inputs (model.compute); the host model is fp32.
  model::DevicePrecision device_precision = model::DevicePrecision::kF32;
  // The device engine's gradient all-reduce buckets (train.grad_bucket_mb, in f32
  // elements); 0: one all-reduce after the backward (runtime/train/gradient_reducer.h).
  std::int64_t grad_bucket_elems = 0;
};

// Everything a checkpoint must hold to resume bitwise: the data position is the step.
struct TrainState {
  std::int64_t step = 0;  // updates done
  std::vector<float> params, adam_m, adam_v;
};

// Persistence of TrainState (runtime/train/checkpoint_store.h over ra_checkpoint).
class StateStore {
 public:
  virtual ~StateStore() = default;
  // Collective: the latest saved state, the same on every rank, or nothing.
  virtual std::optional<TrainState> load_latest(comm::Communicator& world) = 0;
  // Collective: rank 0 writes; every rank returns once it is durable.
  virtual void save(comm::Communicator& world, const TrainState& state) = 0;
};

struct StepReport {
  std::int64_t step = 0;  // updates done after this step
  double loss = 0, lr = 0, grad_norm = 0;
  double tokens = 0;  // tokens with a target, whole job
  double step_seconds = 0, tokens_per_s = 0;
  double attention_seconds = 0, comm_seconds = 0, exposed_comm_seconds = 0;  // rank max
  double peak_rss_bytes = 0;                                                 // rank max
  double exposed_grad_reduce_seconds = 0;                                    // rank max
  // exposed_comm_seconds of the rank with the most attention compute (the critical path;
  // records.proto TrainStepRecord says why it differs from the rank max).
  double critical_exposed_comm_seconds = 0;
  int grad_buckets = 0;
  std::int64_t activation_bytes_per_token = 0;
};

struct EvalReport {
  std::int64_t step = 0;
  double token_accuracy = 0;     // targets predicted exactly (argmax)
  double sequence_accuracy = 0;  // sequences whose every target was predicted (passkey accuracy)
  double loss = 0;
};

// Called on rank 0 only.
struct TrainCallbacks {
  std::function<void(const StepReport&)> on_step;
  std::function<void(const EvalReport&)> on_eval;
  std::function<void(const std::string&)> on_note;  // "resumed from step 200", "stopping: SIGTERM"
};

struct TrainOutcome {
  std::int64_t steps_done = 0;
  bool stopped_early = false;  // a stop request: checkpointed and ended cleanly
  std::optional<EvalReport> last_eval;
};

// The device model's parts for a backend (the composition root's
// backend::make_device_model_parts): null runs the host model (Transformer<float>, AdamW
// on host vectors; the cpu backend), non-null the device model on the backend's device
// (DeviceTransformer with bf16 attention storage, DeviceAdamW; simt, cuda).
using DeviceModelFactory = std::function<std::unique_ptr<model::DeviceModelParts>(ring::Backend& backend)>;

// Collective over `world`. `stop_requested` is polled after every step (SIGUSR1/SIGTERM
// set it); any rank's request stops every rank after the same step.
// `make_backend` (the composition root's, for the config) must split the world into
// rings of world.size() / options.dp consecutive ranks.
TrainOutcome train(comm::Communicator& world, const ring::BackendFactory& make_backend, const TrainOptions& options,
                   BatchSource& data, StateStore* store, const std::atomic<bool>& stop_requested,
                   const TrainCallbacks& callbacks, const DeviceModelFactory& make_device_model = {});

}  // namespace ra::train

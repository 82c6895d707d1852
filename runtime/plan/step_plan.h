// One training step of a config on a hardware profile (`ringattn plan`, docs/scaling.md):
// memory per GPU (memory_model.h, device placement), the time of each part and the
// throughput, and the candidates sp × dp for a number of GPUs.
//
//   attention   per layer: the ring's forward, its recomputation in the backward
//               (activation recomputation: the backward recomputes each layer), and its
//               backward (time_model.h)
//   GEMMs       2·(d·(qf + 2kf) + qf·d + 3·d·hidden) FLOPs per token per layer forward,
//               twice that backward, once more for the recomputation; the head 2·d·vocab
//               forward and twice backward; at gemm_efficiency × peak
//   gradients   a ring all-reduce over sp (inside a node) and over dp (across nodes when
//               sp fills a node): 2·(k−1)/k of the f32 gradient bytes each; overlapped
//               with the backward in buckets except the last bucket and the embedding
//   optimizer   AdamW reads parameters, gradients (twice: the norm), m, v and writes
//               parameters, m, v: 8 × 4 bytes per parameter at memory_gbps
//   syncs       the trainer's four scalar all-reduces a step (target count, loss, the
//               timings' maxima, the critical wait), latency-bound
//   MFU         the model's FLOPs without the recomputation (6·params_matmul·tokens plus
//               attention's 3.5 · 4·pairs·D·Hq per layer) / (step time · GPUs · peak of
//               the model's precision: bf16 on the device, fp32 on the host)
//
// The host placement (attention.backend cpu: the model in host memory, a CPU node's
// profile from `ringattn calibrate`) runs the host model instead (runtime/model/
// transformer.h): the ring in fp32, the GEMMs of model::host_step_work at
// peak_tflops_fp32 × gemm_efficiency, its elementwise work at host_elementwise_ns_per_elem,
// and one blocking all-reduce of the gradients over every rank after the backward (all
// of it exposed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/layout/sharding.h"
#include "runtime/model/device_transformer.h"
#include "runtime/model/model_config.h"
#include "runtime/plan/hardware.h"
#include "runtime/plan/memory_model.h"
#include "runtime/plan/time_model.h"

namespace ra::plan {

struct StepInputs {
  model::ModelConfig model;
  std::int64_t seq_len = 0;  // tokens per sequence
  std::int64_t batch = 1;    // sequences per data-parallel group per step
  int sp = 1, dp = 1;
  layout::Layout layout = layout::Layout::kZigzag;
  model::DevicePrecision precision = model::DevicePrecision::kBf16Activations;
  double grad_bucket_mb = 25;
  TrainPlacement placement = TrainPlacement::kDevice;
};

struct StepPlan {
  StepInputs in;
  std::int64_t shard_tokens = 0;  // one sequence's tokens per rank (padded)
  MemoryEstimate memory;
  std::int64_t device_bytes = 0;  // in the model's memory: the device's, or the host's (host placement)
  bool fits = false;
  RingTime ring;  // one layer's ring, the whole batch
  double attention_s = 0, gemm_s = 0, elementwise_s = 0, grad_reduce_s = 0, grad_exposed_s = 0;
  double optimizer_s = 0, sync_s = 0, step_s = 0;
  double exposed_comm_s = 0;  // the ring's, all layers
  double tokens_per_s = 0, model_flops = 0, mfu = 0;
};

StepPlan plan_step(const StepInputs& in, const HardwareProfile& hw);

// Every sp that divides `gpus` (powers of two and `gpus` itself), dp = gpus / sp, for the
// same model, sequence and per-group batch; sorted by sp.
std::vector<StepPlan> candidates(const StepInputs& base, const HardwareProfile& hw, int gpus);

// The recommended candidate: the fastest that fits; none fits: the one needing least memory
// (which callers must not call recommended: check its `fits`).
std::size_t recommend(const std::vector<StepPlan>& plans);

// What would make a plan that does not fit fit, in words.
std::string fit_advice(const StepPlan& p, const HardwareProfile& hw);

}  // namespace ra::plan

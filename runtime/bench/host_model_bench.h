// The host transformer's work besides attention, timed as `ringattn train` runs it on the
// cpu backend (runtime/model/transformer.h): what `ringattn calibrate` measures for the
// time model of a host training step (runtime/plan/step_plan.h, model::host_step_work).
#pragma once

#include <cstdint>

#include "runtime/model/model_config.h"

namespace ra::bench {

// Median seconds of one forward_backward over `tokens` tokens of `config` (parameters,
// gradients and a token pattern of its own) with an attention that does nothing — the
// ring's time is modelled apart — after one warm-up step.
double host_model_step_seconds(const model::ModelConfig& config, std::int64_t tokens, int reps);

// FLOP/s of a linear layer's three GEMMs over [tokens, in] and W [out, in] — y = x·Wᵀ,
// dx = dy·W, dW += dyᵀ·x, as runtime/model/layers.cc calls them — in f32, or with bf16
// inputs (f32 accumulation): their FLOPs over the median of `reps` timings of all three.
enum class GemmInputs : std::uint8_t { kF32, kBF16 };
double linear_gemm_flops_per_s(std::int64_t tokens, std::int64_t in, std::int64_t out, GemmInputs inputs, int reps);

}  // namespace ra::bench

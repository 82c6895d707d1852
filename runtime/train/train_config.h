// The resolved RunConfig (runtime/config) as the trainer's options: a pure mapping,
// tested on its own. config::resolve has already checked the cross-key rules.
#pragma once

#include "runtime/config/ringattn_config.pb.h"
#include "runtime/layout/sharding.h"
#include "runtime/train/trainer.h"

namespace ra::train {

// Throws ra::UsageError for what training does not support (the cuda backend, bf16).
TrainOptions train_options_from(const config::RunConfig& c);

// The resolved parallel.layout (config::resolve replaced auto).
layout::Layout layout_from(config::Layout l);

}  // namespace ra::train

// The BatchSource of a config's train.data section: the passkey task, byte-level text or
// binary token files packed into sequences (runtime/data). Data-parallel group g takes
// sequences (step·dp + g)·batch … +batch of the run; evaluation batches come from a
// separate stream (fresh passkeys; for corpora, the same documents in another order —
// there is no held-out split).
#pragma once

#include <memory>

#include "runtime/config/ringattn_config.pb.h"
#include "runtime/train/batch_source.h"

namespace ra::train {

// Reads and validates the data files (ra::InputDataError naming file and byte offset):
// rank 0 runs it before training so that a bad file fails the job at once, on every rank.
void check_data(const config::Train& train, const config::Model& model);

std::unique_ptr<BatchSource> make_batch_source(const config::Train& train, const config::Model& model);

}  // namespace ra::train

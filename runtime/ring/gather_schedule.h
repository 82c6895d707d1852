// The collective step before a ring pass: every rank contributes the summary of its
// shard's token metadata, and every rank builds the same schedule from all of them.
#pragma once

#include <cstdint>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/ring/schedule.h"

namespace ra::ring {

// q, k: host i32 [n_elems] positions and segments of this rank's queries and keys. All
// ranks must pass the same n_elems (checked on every rank, naming the lengths).
RingSchedule gather_schedule(comm::Communicator& comm, const kernels::TokenMeta& q, const kernels::TokenMeta& k,
                             std::int64_t n_elems, const numerics::MaskRule& rule);

}  // namespace ra::ring

// The collective step before a ring pass: every rank contributes the summary of its
// shard's token metadata, and every rank builds the same schedule from all of them.
#pragma once

#include <cstdint>

#include "comm/communicator.h"
#include "runtime/ring/schedule.h"

namespace ra::ring {

// pos/seg: host i32 [n_elems] of this rank's tokens. All ranks must pass the same n_elems
// (checked: a mismatch is an error on every rank, naming both lengths).
RingSchedule gather_schedule(comm::Communicator& comm, const std::int32_t* pos, const std::int32_t* seg,
                             std::int64_t n_elems, const numerics::MaskRule& rule);

}  // namespace ra::ring

// Work that only rank 0 does (reading a config or input files) but whose failure every
// rank must share: rank 0 runs it, broadcasts the verdict, and on failure every rank
// throws the same ra::JobWideError — so the job reports one line and all ranks exit with
// the same code before any other collective.
#pragma once

#include <functional>

#include "comm/communicator.h"

namespace ra::comm {

// Collective. `root_work` runs on rank 0 only; an ra::Error it throws becomes a
// JobWideError with the same code and message on every rank.
void run_on_root_and_share_verdict(Communicator& comm, const std::function<void()>& root_work);

}  // namespace ra::comm

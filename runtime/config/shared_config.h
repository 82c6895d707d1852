// The configuration of a multi-rank job: rank 0 reads, checks and resolves it, then
// broadcasts it (or the error) to every rank, so that the file is read once, the error
// is reported once (by rank 0), and every rank fails with the same exit code before any
// work starts.
#pragma once

#include "comm/communicator.h"
#include "runtime/config/config.h"

namespace ra::config {

// Collective. On every rank: the resolved config, or ra::JobWideError (exit code 2) with rank
// 0's message. Only rank 0's LoadedConfig carries origins.
LoadedConfig load_shared_config(comm::Communicator& comm, const ConfigRequest& request, CudaSupport cuda);

}  // namespace ra::config

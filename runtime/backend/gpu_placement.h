// Which GPU a rank runs on: a pure function of the node-local rank, the ranks on the
// node, the GPUs the process sees and the transport (tested on the CPU).
//   nccl: one rank per GPU — rank i of a node takes GPU i; more ranks than GPUs on a node
//         is a UsageError (NCCL cannot put two ranks of a communicator on one device).
//   mpi:  ranks may share GPUs — rank i takes GPU i mod G (round robin, so the ranks of
//         a node spread evenly); the way to run a ring of P ranks on a one-GPU machine.
#pragma once

#include <string>

#include "runtime/backend/backend.h"

namespace ra::backend {

struct GpuPlacement {
  int ordinal = 0;        // cudaSetDevice ordinal among the visible GPUs
  int ranks_on_gpu = 1;   // ranks of this node sharing that GPU (including this one)
};

// `host` names the node in error messages. UsageError when the node shows no GPU, or
// under nccl when it runs more ranks than it shows GPUs.
GpuPlacement place_on_gpu(int local_rank, int local_ranks, int visible_gpus, Transport transport,
                          const std::string& host);

}  // namespace ra::backend

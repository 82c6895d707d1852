// Which GPU a rank runs on: pure functions of what the node shows (tested on the CPU).
//
// choose_gpu: rank i of a node takes GPU i when the node shows at least as many GPUs as
// it runs ranks; a node that shows one GPU per process (launch/mpirun.sh --gpus, Slurm's
// per-task binding) gives each rank its own GPU 0; otherwise under mpi ranks share GPUs
// round robin (i mod G: the way to run a ring of P ranks on a one-GPU machine), and under
// nccl — which cannot put two ranks of a communicator on one device — it is an error.
//
// check_gpu_sharing: the chosen GPUs' identities (host + UUID) of all ranks, so sharing
// is seen whatever CUDA_VISIBLE_DEVICES did: under nccl two ranks on one GPU are an error
// naming both; under mpi it returns how many ranks share this rank's GPU.
#pragma once

#include <string>
#include <vector>

#include "runtime/backend/backend.h"

namespace ra::backend {

// The cudaSetDevice ordinal among the GPUs this process sees. `host` names the node in
// error messages. UsageError when the node shows no GPU, or under nccl when it shows
// several but fewer than it runs ranks.
int choose_gpu(int local_rank, int local_ranks, int visible_gpus, Transport transport, const std::string& host);

// gpu_ids[r]: "<host>/<GPU UUID>" of world rank r. Returns the number of ranks on
// `rank`'s GPU (itself included); UsageError under nccl when it is more than one.
int check_gpu_sharing(const std::vector<std::string>& gpu_ids, int rank, Transport transport);

}  // namespace ra::backend

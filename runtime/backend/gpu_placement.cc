#include "runtime/backend/gpu_placement.h"

#include "runtime/core/check.h"

namespace ra::backend {

int choose_gpu(int local_rank, int local_ranks, int visible_gpus, Transport transport, const std::string& host) {
  RA_CHECK(InternalError, local_rank >= 0 && local_rank < local_ranks, "node-local rank ", local_rank, " of ",
           local_ranks);
  RA_CHECK(UsageError, visible_gpus > 0, "attention.backend = cuda, but host ", host,
           " shows no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  if (visible_gpus >= local_ranks) return local_rank;
  // One GPU visible: each process was given its own (or they share it: check_gpu_sharing
  // tells which from the UUIDs).
  if (visible_gpus == 1) return 0;
  RA_CHECK(UsageError, transport == Transport::kMpi, "host ", host, " runs ", local_ranks, " ranks but shows ",
           visible_gpus, " GPUs: comm.backend = nccl needs a GPU per rank (launch at most ", visible_gpus,
           " ranks per node, or set comm.backend = mpi to let ranks share GPUs)");
  return local_rank % visible_gpus;
}

int check_gpu_sharing(const std::vector<std::string>& gpu_ids, int rank, Transport transport) {
  RA_CHECK(InternalError, rank >= 0 && rank < static_cast<int>(gpu_ids.size()), "rank ", rank, " of ", gpu_ids.size());
  if (transport == Transport::kNccl) {
    // The first shared GPU of the whole job, so every rank fails with the same line.
    for (std::size_t a = 0; a < gpu_ids.size(); ++a) {
      for (std::size_t b = a + 1; b < gpu_ids.size(); ++b) {
        RA_CHECK(UsageError, gpu_ids[a] != gpu_ids[b], "ranks ", a, " and ", b, " would share GPU ", gpu_ids[a],
                 ": comm.backend = nccl needs a GPU per rank (give each rank its own, e.g. launch/mpirun.sh --gpus, "
                 "or set comm.backend = mpi to let ranks share GPUs)");
      }
    }
  }
  int sharing = 0;
  for (const std::string& id : gpu_ids) sharing += id == gpu_ids[static_cast<std::size_t>(rank)] ? 1 : 0;
  return sharing;
}

}  // namespace ra::backend

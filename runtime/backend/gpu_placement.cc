#include "runtime/backend/gpu_placement.h"

#include "runtime/core/check.h"

namespace ra::backend {

GpuPlacement place_on_gpu(int local_rank, int local_ranks, int visible_gpus, Transport transport,
                          const std::string& host) {
  RA_CHECK(InternalError, local_rank >= 0 && local_rank < local_ranks, "node-local rank ", local_rank, " of ",
           local_ranks);
  RA_CHECK(UsageError, visible_gpus > 0, "attention.backend = cuda, but host ", host,
           " shows no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  if (transport == Transport::kNccl) {
    RA_CHECK(UsageError, local_ranks <= visible_gpus, "host ", host, " runs ", local_ranks, " ranks but shows ",
             visible_gpus, " GPU(s): comm.backend = nccl needs a GPU per rank (launch at most ", visible_gpus,
             " ranks per node, or set comm.backend = mpi to let ranks share GPUs)");
    return {local_rank, 1};
  }
  GpuPlacement p;
  p.ordinal = local_rank % visible_gpus;
  // Ranks r ≡ ordinal (mod G) among 0..local_ranks-1.
  p.ranks_on_gpu = (local_ranks - p.ordinal + visible_gpus - 1) / visible_gpus;
  return p;
}

}  // namespace ra::backend

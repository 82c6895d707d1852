#include "comm/nccl/nccl_bootstrap.h"

#include <string>
#include <vector>

#include "comm/mpi/mpi_wait.h"
#include "comm/nccl/nccl_check.h"
#include "runtime/core/error.h"

namespace ra::comm::nccl {

ncclUniqueId share_unique_id(MPI_Comm mpi, const CommOptions& options) {
  int rank = 0;
  MPI_Comm_rank(mpi, &rank);
  ncclUniqueId id{};
  if (rank == 0) {
    const ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess) throw InternalError("rank 0: ncclGetUniqueId failed: " + nccl_error_text(r, nullptr));
  }
  std::vector<MPI_Request> requests(1);
  const int rc = MPI_Ibcast(&id, static_cast<int>(sizeof id), MPI_BYTE, 0, mpi, requests.data());
  if (rc != MPI_SUCCESS) {
    throw PeerError("rank " + std::to_string(rank) +
                    ": MPI_Ibcast of the NCCL unique id: " + mpi::mpi_error_string(rc));
  }
  std::vector<MPI_Status> statuses;
  // A nonblocking collective cannot be cancelled: at the deadline it is abandoned.
  mpi::wait_all(requests, statuses, options, mpi::Pending::kAbandon, [&](const std::vector<bool>&) {
    return "rank " + std::to_string(rank) + ": NCCL bootstrap: no unique id from rank 0 (" + std::to_string(sizeof id) +
           " bytes over MPI)";
  });
  return id;
}

}  // namespace ra::comm::nccl

// NCCL needs one ncclUniqueId shared by all ranks before ncclCommInitRank; MPI carries it.
#pragma once

#include <mpi.h>
#include <nccl.h>

#include "comm/communicator.h"

namespace ra::comm::nccl {

// Collective over `mpi`: rank 0 creates the id, a nonblocking MPI broadcast (waited on
// with the comm_timeout deadline, like every wait) brings it to the other ranks. No
// other collective may be in flight on `mpi` meanwhile.
ncclUniqueId share_unique_id(MPI_Comm mpi, const CommOptions& options);

}  // namespace ra::comm::nccl

// The MPI process lifetime: MPI_Init_thread(MPI_THREAD_MULTIPLE) … MPI_Finalize, and the
// one place a failing rank ends the job. A rank that fails must not call MPI_Finalize
// (its peers may be blocked on it): it prints one line and MPI_Abort()s with the exit
// code of docs/errors.md, which mpirun passes on.
#pragma once

#include <functional>

#include "comm/communicator.h"

namespace ra::comm::mpi {

// Initializes MPI, runs `body` with the world communicator, finalizes. On an ra::Error
// (or any exception) prints "ringattn: error: rank R: …" and ends the whole job with the
// error's exit code. Returns body's exit code on success.
int run_on_world(const CommOptions& options, const std::function<int(Communicator& world)>& body);

}  // namespace ra::comm::mpi

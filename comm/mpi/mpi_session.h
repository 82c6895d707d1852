// The MPI process lifetime: MPI_Init_thread(MPI_THREAD_MULTIPLE) … MPI_Finalize, and the
// one place a failing rank ends the job. A rank that fails must not call MPI_Finalize
// (its peers may be blocked on it): it prints one line and MPI_Abort()s with the exit
// code of docs/errors.md, which mpirun passes on.
#pragma once

#include <cstdint>
#include <functional>

#include "comm/communicator.h"

namespace ra::comm::mpi {

// How long the startup watchdog (runtime/core/startup_watchdog.h) watches: MPI
// initialisation only, or until the body disarms it (the commands: once their backend
// and its communicators exist, backend::make_backend does).
enum class StartupWatch : std::uint8_t { kInitOnly, kUntilDisarmed };

// Initializes MPI, runs `body` with the world communicator, finalizes. On an ra::Error
// (or any exception) prints "ringattn: error: rank R: …" and ends the whole job with the
// error's exit code. Returns body's exit code on success. A rank that never gets through
// MPI initialisation (or, with kUntilDisarmed, to the disarm) ends the job with exit
// code 4 after RINGATTN_STARTUP_TIMEOUT seconds.
int run_on_world(const CommOptions& options, const std::function<int(Communicator& world)>& body,
                 StartupWatch watch = StartupWatch::kInitOnly);

}  // namespace ra::comm::mpi

// The startup watchdog (docs/errors.md, "A rank that never starts"): the one wait of a job
// that has no deadline of its own is its start — MPI initialisation (Open MPI's modex
// waits for every rank), the first collectives on the world (the config shared by rank
// 0) and the creation of the ring's communicators (MPI_Comm_split, ncclCommInitRank).
// A rank stopped or stuck there would hold every other rank forever. So the MPI session
// arms this watchdog before MPI_Init, each stage names itself, and the command disarms
// it once its backend exists; if the deadline passes first, the process prints one line
// naming the stage it waited in and exits with code 4 (a peer failed) — mpirun then ends
// the job's other ranks.
//
// Deadline: RINGATTN_STARTUP_TIMEOUT seconds (default 300; comm.timeout governs every
// wait after the start). Process-wide; thread safe.
#pragma once

#include <chrono>
#include <string>

namespace ra::startup {

// Starts the watchdog (idempotent while armed) with the deadline from the environment.
void arm(int rank_hint);
// The stage the process is in now ("MPI initialisation", "sharing the config", ...).
void stage(const std::string& name);
// The start is over: the watchdog stops and never fires.
void disarm();

// The deadline RINGATTN_STARTUP_TIMEOUT gives (seconds, > 0), or the default; an
// unparsable value is the default (the watchdog must not be the reason a job fails).
std::chrono::milliseconds deadline_from_env(const char* value);

}  // namespace ra::startup

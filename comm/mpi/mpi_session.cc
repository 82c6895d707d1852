#include "comm/mpi/mpi_session.h"

#include <mpi.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <new>

#include "comm/mpi/mpi_communicator.h"
#include "comm/mpi/mpi_wait.h"
#include "runtime/core/error.h"
#include "runtime/core/printable.h"
#include "runtime/core/startup_watchdog.h"
#include "runtime/core/stderr_line.h"

namespace ra::comm::mpi {
namespace {

// A failure on one rank: reported by that rank (errors every rank raised alike are
// JobWideErrors, handled below without an abort), then the whole job ends.
[[noreturn]] void fail(int rank, int size, const std::string& line, int code) {
  std::cerr.flush();
  write_stderr_line("ringattn: error: " + (size > 1 ? "rank " + std::to_string(rank) + ": " : std::string()) +
                    printable(line));
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);  // ends every rank; mpirun exits with `code`
  MPI_Finalize();
  std::exit(code);
}

constexpr const char* kOutOfMemory =
    "out of memory: an allocation failed although the run was estimated to fit (another process may have taken "
    "the memory, or `ringattn plan` misses a buffer: please report it); run with fewer tokens per rank or more ranks";

}  // namespace

// The launcher's rank before MPI knows it (for the watchdog's line).
int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return 0;
}

int run_on_world(const CommOptions& options, const std::function<int(Communicator& world)>& body, StartupWatch watch) {
  // MPI_Init waits for every rank of the job with no deadline of its own: the startup
  // watchdog gives it one (and the stages after it, until the command disarms it).
  startup::arm(launcher_rank());
  watch_for_resume();  // a rank that was stopped says so instead of blaming a peer (mpi_wait.h)
  startup::stage("MPI initialisation (MPI_Init_thread waits for every rank of the job)");
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    std::cerr << "ringattn: error: MPI_Init_thread failed\n";
    return static_cast<int>(ExitCode::kPeerFailure);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (provided < MPI_THREAD_MULTIPLE) {
    fail(rank, size, "this MPI library does not provide MPI_THREAD_MULTIPLE (Open MPI built with it is needed)",
         static_cast<int>(ExitCode::kInternal));
  }
  int code = 0;
  startup::stage("the first collectives on the world");
  try {
    MpiCommunicator world(MPI_COMM_WORLD, options);
    if (watch == StartupWatch::kInitOnly) startup::disarm();
    code = body(world);
  } catch (const JobWideError& e) {
    // Every rank is here with the same error: one line from rank 0, then all ranks leave
    // together (no MPI_Abort, no launcher banner).
    if (rank == 0) write_stderr_line("ringattn: error: " + printable(e.what()));
    MPI_Finalize();
    return exit_status(e);
  } catch (const Error& e) {
    fail(rank, size, e.what(), exit_status(e));
  } catch (const std::bad_alloc&) {
    fail(rank, size, kOutOfMemory, static_cast<int>(ExitCode::kResource));
  } catch (const std::exception& e) {
    fail(rank, size, std::string("internal error: ") + e.what(), static_cast<int>(ExitCode::kInternal));
  }
  MPI_Finalize();
  return code;
}

}  // namespace ra::comm::mpi

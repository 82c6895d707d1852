#include "comm/mpi/mpi_session.h"

#include <mpi.h>

#include <iostream>
#include <new>

#include "comm/mpi/mpi_communicator.h"
#include "runtime/core/error.h"

namespace ra::comm::mpi {
namespace {

[[noreturn]] void fail(int rank, int size, const std::string& line, int code) {
  std::cerr << "ringattn: error: rank " << rank << ": " << line << std::endl;
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);  // ends every rank; mpirun exits with `code`
  MPI_Finalize();
  std::exit(code);
}

}  // namespace

int run_on_world(const CommOptions& options, const std::function<int(Communicator& world)>& body) {
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
  try {
    MpiCommunicator world(MPI_COMM_WORLD, options);
    code = body(world);
  } catch (const Error& e) {
    fail(rank, size, e.what(), exit_status(e));
  } catch (const std::bad_alloc&) {
    fail(rank, size, "out of memory", static_cast<int>(ExitCode::kInternal));
  } catch (const std::exception& e) {
    fail(rank, size, std::string("internal error: ") + e.what(), static_cast<int>(ExitCode::kInternal));
  }
  MPI_Finalize();
  return code;
}

}  // namespace ra::comm::mpi

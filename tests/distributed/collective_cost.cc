// The cost of the arrival side channel (issue 14, failure 14; docs/errors.md): N small
// all_reduces through MpiCommunicator (which announces "arrived at collective #k" to every
// peer first) against the same nonblocking all_reduce and deadline wait on a bare
// duplicate of the world — the path before the side channel. Not a ctest: run
//   mpiexec -n P build/test/tests/distributed/distributed_collective_cost [N]
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "comm/mpi/mpi_communicator.h"
#include "comm/mpi/mpi_wait.h"

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  ra::comm::CommOptions options;
  options.poll_interval = std::chrono::microseconds(100);  // train's setting: small messages
  double with_s = 0, without_s = 0;
  {
    ra::comm::mpi::MpiCommunicator comm(MPI_COMM_WORLD, options);
    MPI_Comm bare = MPI_COMM_NULL;
    MPI_Comm_dup(MPI_COMM_WORLD, &bare);
    double x = 1.0;
    using Clock = std::chrono::steady_clock;
    for (int round = 0; round < 2; ++round) {  // round 0 warms up
      MPI_Barrier(MPI_COMM_WORLD);
      auto t0 = Clock::now();
      for (int i = 0; i < n; ++i)
        comm.all_reduce(ra::TensorView(&x, ra::DType::kF64, ra::Shape{1}), ra::comm::ReduceOp::kMax);
      with_s = std::chrono::duration<double>(Clock::now() - t0).count();
      MPI_Barrier(MPI_COMM_WORLD);
      t0 = Clock::now();
      for (int i = 0; i < n; ++i) {
        std::vector<MPI_Request> r(1);
        std::vector<MPI_Status> st;
        MPI_Iallreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_MAX, bare, r.data());
        ra::comm::mpi::wait_all(r, st, options, ra::comm::mpi::Pending::kAbandon,
                                [](const std::vector<bool>&) { return std::string("bare"); });
      }
      without_s = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    MPI_Comm_free(&bare);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
      std::printf(
          "P=%d, %d all_reduces of 8 bytes (poll 0.1 ms): with the side channel %.2f us each, without %.2f us "
          "each, difference %+.2f us (%+.1f%%)\n",
          size, n, 1e6 * with_s / n, 1e6 * without_s / n, 1e6 * (with_s - without_s) / n,
          100.0 * (with_s - without_s) / without_s);
    }
  }
  MPI_Finalize();
  return 0;
}

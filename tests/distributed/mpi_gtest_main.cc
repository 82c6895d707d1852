#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <memory>

#include "comm/mpi/mpi_communicator.h"
#include "tests/distributed/mpi_test_env.h"

namespace ra::testing {
namespace {

comm::Communicator* g_world = nullptr;

class RankFailurePrinter final : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (r.failed())
      std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, r.file_name() ? r.file_name() : "?", r.line_number(),
                   r.summary());
  }

 private:
  int rank_;
};

}  // namespace

comm::Communicator& world() { return *g_world; }

}  // namespace ra::testing

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int rc = 1;
  {
    ra::comm::CommOptions options;
    options.timeout = std::chrono::seconds(60);  // a test deadlock fails instead of hanging
    ra::comm::mpi::MpiCommunicator world(MPI_COMM_WORLD, options);
    ra::testing::g_world = &world;
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    if (world.rank() != 0) {
      delete listeners.Release(listeners.default_result_printer());
      listeners.Append(new ra::testing::RankFailurePrinter(world.rank()));
    }
    rc = RUN_ALL_TESTS();
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    rc = worst;
  }
  MPI_Finalize();
  return rc;
}

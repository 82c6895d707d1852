// Which GPU a rank takes (runtime/backend/gpu_placement.h): one per rank under NCCL,
// round robin under MPI, and clear refusals.
#include <gtest/gtest.h>

#include "runtime/backend/gpu_placement.h"
#include "runtime/core/error.h"

namespace ra::backend {
namespace {

TEST(GpuPlacement, NcclGivesEachRankOfANodeItsOwnGpu) {
  for (int r = 0; r < 8; ++r) {
    const GpuPlacement p = place_on_gpu(r, 8, 8, Transport::kNccl, "node1");
    EXPECT_EQ(p.ordinal, r);
    EXPECT_EQ(p.ranks_on_gpu, 1);
  }
  EXPECT_EQ(place_on_gpu(1, 2, 8, Transport::kNccl, "node1").ordinal, 1);  // fewer ranks than GPUs
}

TEST(GpuPlacement, NcclRefusesMoreRanksThanGpusNamingHostAndCounts) {
  try {
    place_on_gpu(0, 4, 1, Transport::kNccl, "gpu-node-7");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("host gpu-node-7 runs 4 ranks but shows 1 GPU(s)"), std::string::npos) << m;
    EXPECT_NE(m.find("comm.backend = mpi"), std::string::npos) << m;
  }
}

TEST(GpuPlacement, MpiSharesGpusRoundRobin) {
  // 5 ranks on 2 GPUs: GPU 0 gets ranks 0, 2, 4; GPU 1 gets 1, 3.
  const int want_ordinal[] = {0, 1, 0, 1, 0}, want_sharing[] = {3, 2, 3, 2, 3};
  for (int r = 0; r < 5; ++r) {
    const GpuPlacement p = place_on_gpu(r, 5, 2, Transport::kMpi, "h");
    EXPECT_EQ(p.ordinal, want_ordinal[r]) << r;
    EXPECT_EQ(p.ranks_on_gpu, want_sharing[r]) << r;
  }
  const GpuPlacement one = place_on_gpu(3, 4, 1, Transport::kMpi, "h");  // P = 4 on one GPU
  EXPECT_EQ(one.ordinal, 0);
  EXPECT_EQ(one.ranks_on_gpu, 4);
}

TEST(GpuPlacement, NoGpuIsAUsageErrorForEitherTransport) {
  for (Transport t : {Transport::kNccl, Transport::kMpi}) {
    try {
      place_on_gpu(0, 1, 0, t, "cpu-only");
      FAIL() << "no error";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("host cpu-only shows no GPU"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ra::backend

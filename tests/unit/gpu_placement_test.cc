// Which GPU a rank takes (runtime/backend/gpu_placement.h): one per rank when the node
// shows enough, GPU 0 when each process sees one, round robin under mpi, and clear
// refusals — including two ranks on one GPU under nccl, seen from the GPUs' UUIDs.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/backend/gpu_placement.h"
#include "runtime/core/error.h"

namespace ra::backend {
namespace {

std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GpuPlacement, EachRankOfANodeTakesItsOwnGpuWhenThereAreEnough) {
  for (Transport t : {Transport::kNccl, Transport::kMpi}) {
    for (int r = 0; r < 8; ++r) EXPECT_EQ(choose_gpu(r, 8, 8, t, "node1"), r);
    EXPECT_EQ(choose_gpu(1, 2, 8, t, "node1"), 1);  // fewer ranks than GPUs
  }
}

TEST(GpuPlacement, OneVisibleGpuPerProcessIsGpuZero) {
  // launch/mpirun.sh --gpus: each rank sees only its own GPU.
  for (Transport t : {Transport::kNccl, Transport::kMpi}) EXPECT_EQ(choose_gpu(5, 8, 1, t, "node1"), 0);
}

TEST(GpuPlacement, NcclRefusesFewerGpusThanRanksNamingHostAndCounts) {
  const std::string m = usage_error_of([] { choose_gpu(0, 4, 2, Transport::kNccl, "gpu-node-7"); });
  EXPECT_NE(m.find("host gpu-node-7 runs 4 ranks but shows 2 GPUs"), std::string::npos) << m;
  EXPECT_NE(m.find("comm.backend = mpi"), std::string::npos) << m;
}

TEST(GpuPlacement, MpiSharesGpusRoundRobin) {
  const int want[] = {0, 1, 0, 1, 0};  // 5 ranks on 2 GPUs
  for (int r = 0; r < 5; ++r) EXPECT_EQ(choose_gpu(r, 5, 2, Transport::kMpi, "h"), want[r]) << r;
}

TEST(GpuPlacement, NoGpuIsAUsageErrorForEitherTransport) {
  for (Transport t : {Transport::kNccl, Transport::kMpi}) {
    const std::string m = usage_error_of([t] { choose_gpu(0, 1, 0, t, "cpu-only"); });
    EXPECT_NE(m.find("host cpu-only shows no GPU"), std::string::npos) << m;
  }
}

TEST(GpuPlacement, SharingIsCountedUnderMpiAndRefusedUnderNccl) {
  const std::vector<std::string> one_gpu{"h/GPU-aa", "h/GPU-aa", "h/GPU-aa", "h/GPU-aa"};
  EXPECT_EQ(check_gpu_sharing(one_gpu, 2, Transport::kMpi), 4);
  const std::vector<std::string> two_nodes{"a/GPU-1", "a/GPU-2", "b/GPU-1", "b/GPU-2"};
  for (int r = 0; r < 4; ++r) EXPECT_EQ(check_gpu_sharing(two_nodes, r, Transport::kNccl), 1);
  // Every rank reports the same first shared pair.
  const std::vector<std::string> clash{"a/GPU-1", "a/GPU-2", "a/GPU-2", "a/GPU-1"};
  for (int r = 0; r < 4; ++r) {
    const std::string m = usage_error_of([&] { check_gpu_sharing(clash, r, Transport::kNccl); });
    EXPECT_NE(m.find("ranks 0 and 3 would share GPU a/GPU-1"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace ra::backend

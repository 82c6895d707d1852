#include "comm/nccl/host/nccl_types.h"

#include <gtest/gtest.h>

#include <vector>

namespace ra::comm::nccl {
namespace {

// Expected values are NCCL's public numbering (nccl.h: ncclUint8 = 1, ncclInt32 = 2,
// ncclFloat16 = 6, ncclFloat32 = 7, ncclFloat64 = 8, ncclBfloat16 = 9; ncclSum = 0,
// ncclMax = 2, ncclMin = 3), written out here rather than taken from the enum.
TEST(NcclTypes, EveryDtypeMapsToTheNcclTypeOfTheSameElement) {
  struct Case {
    DType dtype;
    int nccl_value;
    const char* name;
  };
  const std::vector<Case> cases = {
      {DType::kF32, 7, "ncclFloat32"}, {DType::kBF16, 9, "ncclBfloat16"}, {DType::kF16, 6, "ncclFloat16"},
      {DType::kF64, 8, "ncclFloat64"}, {DType::kI32, 2, "ncclInt32"},     {DType::kU8, 1, "ncclUint8"},
  };
  for (const Case& c : cases) {
    const NcclType t = nccl_type(c.dtype);
    EXPECT_EQ(static_cast<int>(t), c.nccl_value) << dtype_name(c.dtype);
    EXPECT_EQ(nccl_type_name(t), c.name) << dtype_name(c.dtype);
  }
}

TEST(NcclTypes, ReductionsMapToNcclOps) {
  EXPECT_EQ(static_cast<int>(nccl_red_op(ReduceOp::kSum)), 0);
  EXPECT_EQ(static_cast<int>(nccl_red_op(ReduceOp::kMax)), 2);
  EXPECT_EQ(static_cast<int>(nccl_red_op(ReduceOp::kMin)), 3);
}

TEST(NcclTypes, ResultsAreClassifiedByWhoFailed) {
  // ncclResult_t values: 0 success, 1 unhandled CUDA error, 2 system error, 3 internal
  // error, 4 invalid argument, 5 invalid usage, 6 remote error, 7 in progress.
  EXPECT_EQ(classify(static_cast<NcclResult>(0)), NcclOutcome::kDone);
  EXPECT_EQ(classify(static_cast<NcclResult>(7)), NcclOutcome::kInProgress);
  EXPECT_EQ(classify(static_cast<NcclResult>(2)), NcclOutcome::kPeerFailure);
  EXPECT_EQ(classify(static_cast<NcclResult>(6)), NcclOutcome::kPeerFailure);
  for (int internal : {1, 3, 4, 5}) {
    EXPECT_EQ(classify(static_cast<NcclResult>(internal)), NcclOutcome::kInternalFailure) << internal;
  }
  EXPECT_EQ(classify(static_cast<NcclResult>(42)), NcclOutcome::kInternalFailure);  // newer than we know
}

}  // namespace
}  // namespace ra::comm::nccl

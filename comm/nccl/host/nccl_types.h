// ringattn's element types, reductions and NCCL result codes in NCCL's vocabulary.
// The enums mirror ncclDataType_t, ncclRedOp_t and ncclResult_t value for value
// (comm/nccl/nccl_check.cc static_asserts each one against nccl.h), so the mapping is
// a pure function tested on CPU.
#pragma once

#include <cstdint>
#include <string_view>

#include "comm/communicator.h"
#include "runtime/core/dtype.h"

namespace ra::comm::nccl {

enum class NcclType : int {
  kInt8 = 0,
  kUint8 = 1,
  kInt32 = 2,
  kUint32 = 3,
  kInt64 = 4,
  kUint64 = 5,
  kFloat16 = 6,
  kFloat32 = 7,
  kFloat64 = 8,
  kBfloat16 = 9,
};

enum class NcclRedOp : int { kSum = 0, kProd = 1, kMax = 2, kMin = 3 };

enum class NcclResult : int {
  kSuccess = 0,
  kUnhandledCudaError = 1,
  kSystemError = 2,
  kInternalError = 3,
  kInvalidArgument = 4,
  kInvalidUsage = 5,
  kRemoteError = 6,
  kInProgress = 7,
};

// NCCL has every ringattn dtype (kU8, packed messages, as bytes).
NcclType nccl_type(DType dtype);
std::string_view nccl_type_name(NcclType type);  // "ncclFloat32"
NcclRedOp nccl_red_op(ReduceOp op);

// What a caller does with an NCCL result.
enum class NcclOutcome : std::uint8_t {
  kDone,
  kInProgress,       // nonblocking communicator: poll ncclCommGetAsyncError until it settles
  kPeerFailure,      // the network or a remote rank failed: ra::PeerError (exit code 4)
  kInternalFailure,  // a CUDA error or an NCCL call we got wrong: ra::InternalError (exit code 70)
};
NcclOutcome classify(NcclResult result);

}  // namespace ra::comm::nccl

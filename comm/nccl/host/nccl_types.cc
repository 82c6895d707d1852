#include "comm/nccl/host/nccl_types.h"

#include "runtime/core/error.h"

namespace ra::comm::nccl {

NcclType nccl_type(DType dtype) {
  switch (dtype) {
    case DType::kF32: return NcclType::kFloat32;
    case DType::kBF16: return NcclType::kBfloat16;
    case DType::kF16: return NcclType::kFloat16;
    case DType::kF64: return NcclType::kFloat64;
    case DType::kI32: return NcclType::kInt32;
    case DType::kU8: return NcclType::kUint8;
  }
  throw InternalError("no NCCL type for dtype " + std::to_string(static_cast<int>(dtype)));
}

std::string_view nccl_type_name(NcclType type) {
  switch (type) {
    case NcclType::kInt8: return "ncclInt8";
    case NcclType::kUint8: return "ncclUint8";
    case NcclType::kInt32: return "ncclInt32";
    case NcclType::kUint32: return "ncclUint32";
    case NcclType::kInt64: return "ncclInt64";
    case NcclType::kUint64: return "ncclUint64";
    case NcclType::kFloat16: return "ncclFloat16";
    case NcclType::kFloat32: return "ncclFloat32";
    case NcclType::kFloat64: return "ncclFloat64";
    case NcclType::kBfloat16: return "ncclBfloat16";
  }
  return "?";
}

NcclRedOp nccl_red_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return NcclRedOp::kSum;
    case ReduceOp::kMax: return NcclRedOp::kMax;
    case ReduceOp::kMin: return NcclRedOp::kMin;
  }
  throw InternalError("no NCCL reduction for op " + std::to_string(static_cast<int>(op)));
}

NcclOutcome classify(NcclResult result) {
  switch (result) {
    case NcclResult::kSuccess: return NcclOutcome::kDone;
    case NcclResult::kInProgress: return NcclOutcome::kInProgress;
    // ncclSystemError: a socket or other system call failed, typically because the
    // peer process died; ncclRemoteError: the remote side reported the failure.
    case NcclResult::kSystemError:
    case NcclResult::kRemoteError: return NcclOutcome::kPeerFailure;
    case NcclResult::kUnhandledCudaError:
    case NcclResult::kInternalError:
    case NcclResult::kInvalidArgument:
    case NcclResult::kInvalidUsage: return NcclOutcome::kInternalFailure;
  }
  return NcclOutcome::kInternalFailure;  // a code newer than this list
}

}  // namespace ra::comm::nccl

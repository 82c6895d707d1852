// The bridge between nccl.h and the NCCL-free host logic of comm/nccl/host: the mirror
// enums converted to NCCL's (checked value for value at compile time) and NCCL's error
// text.
#pragma once

#include <nccl.h>

#include <string>

#include "comm/nccl/host/nccl_types.h"

namespace ra::comm::nccl {

inline ncclDataType_t to_nccl(NcclType type) { return static_cast<ncclDataType_t>(type); }
inline ncclRedOp_t to_nccl(NcclRedOp op) { return static_cast<ncclRedOp_t>(op); }
inline NcclResult from_nccl(ncclResult_t result) { return static_cast<NcclResult>(result); }

// "ncclRemoteError: remote process exited or there was a network error (NCCL: <last error>)".
// `comm` may be null.
std::string nccl_error_text(ncclResult_t result, ncclComm_t comm);

}  // namespace ra::comm::nccl

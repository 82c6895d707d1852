// The one-line messages of the NCCL communicator's failures, worded like the MPI
// communicator's (comm/mpi/mpi_communicator.cc) so that docs/errors.md and the fault
// tests read the same on CPU and GPU: rank, phase/step/hop, peer, bytes, elapsed and
// deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "comm/nccl/host/op_record.h"

namespace ra::comm::nccl {

// "fwd kv step 3 hop 2", "all_reduce of 64 bytes", "broadcast of 8 bytes from rank 0", "barrier", ...
std::string op_where(const OpRecord& op);

// The size check of a completed receive. The NCCL receive cannot report how many bytes
// arrived, so every hop carries its byte count in an 8-byte header sent in the same
// group; `received_bytes` is that header. nullopt when the sizes agree (or the op
// received nothing), else "rank R: <where>: message size mismatch from rank P:
// expected X bytes, received Y bytes".
std::optional<std::string> size_mismatch_message(int rank, const OpRecord& op, std::int64_t received_bytes);

// An operation past its deadline, e.g. "rank 0: fwd kv step 3 hop 2: exchange stalled:
// no data from peer rank 3 (waiting to receive 4096 bytes) or peer rank 1 did not take
// 4096 bytes after 300.01 s (deadline comm_timeout = 300.00 s)". An NCCL group completes
// as a whole, so for a hop that both sends and receives it cannot say which side stalled.
std::string stall_message(int rank, int size, const OpRecord& op, std::chrono::duration<double> elapsed,
                          std::chrono::duration<double> deadline);

// "rank R: NCCL error during <where> (<peers and bytes>): <nccl_text>"; without an
// operation in flight, "rank R: NCCL error: <nccl_text>". Newlines in nccl_text are
// folded so the message stays one line.
std::string async_error_message(int rank, const std::optional<OpRecord>& in_flight, std::string_view nccl_text);

}  // namespace ra::comm::nccl

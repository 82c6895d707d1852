#include "comm/nccl/host/op_report.h"

#include "runtime/device/cuda/host/poll_wait.h"

namespace ra::comm::nccl {
namespace {

std::string rank_prefix(int rank) { return "rank " + std::to_string(rank) + ": "; }

// "receiving 4096 bytes from peer rank 3, sending 4096 bytes to peer rank 1"
std::string exchange_peers(const OpRecord& op) {
  std::string m;
  if (op.recv_from >= 0) {
    m += "receiving " + std::to_string(op.recv_bytes) + " bytes from peer rank " + std::to_string(op.recv_from);
  }
  if (op.send_to >= 0) {
    m += std::string(m.empty() ? "" : ", ") + "sending " + std::to_string(op.send_bytes) + " bytes to peer rank " +
         std::to_string(op.send_to);
  }
  return m;
}

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string op_where(const OpRecord& op) {
  switch (op.kind) {
    case OpKind::kExchange:
      return std::string(op.tag.phase) + " step " + std::to_string(op.tag.step) + " hop " + std::to_string(op.tag.hop);
    case OpKind::kAllReduce: return "all_reduce of " + std::to_string(op.payload_bytes) + " bytes";
    case OpKind::kBroadcast:
      return "broadcast of " + std::to_string(op.payload_bytes) + " bytes from rank " + std::to_string(op.root);
    case OpKind::kAllGather: return "all_gather of " + std::to_string(op.payload_bytes) + " bytes per rank";
    case OpKind::kBarrier: return "barrier";
    case OpKind::kSetup: return "NCCL communicator setup";
    case OpKind::kSplit: return "NCCL communicator split";
    case OpKind::kShutdown: return "NCCL communicator shutdown";
  }
  return "NCCL operation";
}

std::optional<std::string> size_mismatch_message(int rank, const OpRecord& op, std::int64_t received_bytes) {
  if (op.kind != OpKind::kExchange || op.recv_from < 0 || received_bytes == op.recv_bytes) return std::nullopt;
  std::string m = rank_prefix(rank) + op_where(op) + ": message size mismatch from rank " +
                  std::to_string(op.recv_from) + ": expected " + std::to_string(op.recv_bytes) + " bytes, ";
  m += received_bytes == kNoSizeHeader ? std::string("received no size header")
                                       : "received " + std::to_string(received_bytes) + " bytes";
  return m;
}

std::string stall_message(int rank, int size, const OpRecord& op, std::chrono::duration<double> elapsed,
                          std::chrono::duration<double> deadline) {
  std::string m = rank_prefix(rank) + op_where(op) + ": ";
  switch (op.kind) {
    case OpKind::kExchange:
      m += "exchange stalled:";
      if (op.recv_from >= 0) {
        m += " no data from peer rank " + std::to_string(op.recv_from) + " (waiting to receive " +
             std::to_string(op.recv_bytes) + " bytes)";
      }
      if (op.send_to >= 0) {
        m += std::string(op.recv_from >= 0 ? " or" : "") + " peer rank " + std::to_string(op.send_to) +
             " did not take " + std::to_string(op.send_bytes) + " bytes";
      }
      break;
    case OpKind::kBarrier: m += "not every peer rank of " + std::to_string(size) + " arrived"; break;
    case OpKind::kBroadcast: m += "not every peer rank joined"; break;
    case OpKind::kAllReduce:
    case OpKind::kAllGather:
    case OpKind::kSetup:
    case OpKind::kSplit:
    case OpKind::kShutdown: m += "not every peer rank of " + std::to_string(size) + " joined"; break;
  }
  return m + device::cuda::deadline_tail(elapsed, deadline, "comm_timeout");
}

std::string async_error_message(int rank, const std::optional<OpRecord>& in_flight, std::string_view nccl_text) {
  std::string m = rank_prefix(rank) + "NCCL error";
  if (in_flight) {
    m += " during " + op_where(*in_flight);
    if (in_flight->kind == OpKind::kExchange) m += " (" + exchange_peers(*in_flight) + ")";
  }
  return m + ": " + one_line(nccl_text);
}

}  // namespace ra::comm::nccl

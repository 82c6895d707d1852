#include "comm/nccl/host/op_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace ra::comm::nccl {
namespace {

using namespace std::chrono_literals;

OpRecord hop(int recv_from, std::int64_t recv_bytes, int send_to, std::int64_t send_bytes) {
  OpRecord op;
  op.kind = OpKind::kExchange;
  op.tag = CommTag{"fwd kv", 3, 2};
  op.recv_from = recv_from;
  op.recv_bytes = recv_bytes;
  op.send_to = send_to;
  op.send_bytes = send_bytes;
  return op;
}

OpRecord collective(OpKind kind, std::int64_t payload_bytes, int root = -1) {
  OpRecord op;
  op.kind = kind;
  op.payload_bytes = payload_bytes;
  op.root = root;
  return op;
}

TEST(OpWhere, NamesTheOperation) {
  EXPECT_EQ(op_where(hop(1, 8, 3, 8)), "fwd kv step 3 hop 2");
  EXPECT_EQ(op_where(collective(OpKind::kAllReduce, 64)), "all_reduce of 64 bytes");
  EXPECT_EQ(op_where(collective(OpKind::kBroadcast, 8, 0)), "broadcast of 8 bytes from rank 0");
  EXPECT_EQ(op_where(collective(OpKind::kAllGather, 24)), "all_gather of 24 bytes per rank");
  EXPECT_EQ(op_where(collective(OpKind::kBarrier, 0)), "barrier");
  EXPECT_EQ(op_where(collective(OpKind::kSetup, 0)), "NCCL communicator setup");
}

TEST(SizeMismatch, AgreeingSizesPass) {
  EXPECT_EQ(size_mismatch_message(0, hop(1, 4096, 3, 4096), 4096), std::nullopt);
}

TEST(SizeMismatch, AHopThatReceivesNothingHasNothingToCheck) {
  EXPECT_EQ(size_mismatch_message(0, hop(-1, 0, 3, 4096), kNoSizeHeader), std::nullopt);
  EXPECT_EQ(size_mismatch_message(0, collective(OpKind::kAllReduce, 64), 12), std::nullopt);
}

TEST(SizeMismatch, NamesRankHopPeerAndBothSizes) {
  // The MPI communicator's wording (comm/mpi/mpi_communicator.cc).
  EXPECT_EQ(size_mismatch_message(2, hop(1, 4096, 3, 4096), 4092),
            "rank 2: fwd kv step 3 hop 2: message size mismatch from rank 1: expected 4096 bytes,"
            " received 4092 bytes");
  EXPECT_EQ(size_mismatch_message(2, hop(1, 16, -1, 0), 20),
            "rank 2: fwd kv step 3 hop 2: message size mismatch from rank 1: expected 16 bytes, received 20 bytes");
}

TEST(SizeMismatch, AMissingHeaderIsNamed) {
  EXPECT_EQ(
      size_mismatch_message(0, hop(1, 16, -1, 0), kNoSizeHeader),
      "rank 0: fwd kv step 3 hop 2: message size mismatch from rank 1: expected 16 bytes, received no size header");
}

TEST(StallMessage, ExchangeNamesStepHopPeersBytesElapsedAndDeadline) {
  EXPECT_EQ(stall_message(0, 4, hop(3, 4096, 1, 2048), 300010ms, 300s),
            "rank 0: fwd kv step 3 hop 2: exchange stalled: no data from peer rank 3 (waiting to receive 4096 bytes)"
            " or peer rank 1 did not take 2048 bytes after 300.01 s (deadline comm_timeout = 300.00 s)");
}

TEST(StallMessage, OneSidedExchanges) {
  EXPECT_EQ(stall_message(1, 2, hop(0, 64, -1, 0), 2s, 2s),
            "rank 1: fwd kv step 3 hop 2: exchange stalled: no data from peer rank 0 (waiting to receive 64 bytes)"
            " after 2.00 s (deadline comm_timeout = 2.00 s)");
  EXPECT_EQ(stall_message(1, 2, hop(-1, 0, 0, 64), 2s, 2s),
            "rank 1: fwd kv step 3 hop 2: exchange stalled: peer rank 0 did not take 64 bytes"
            " after 2.00 s (deadline comm_timeout = 2.00 s)");
}

TEST(StallMessage, CollectivesNameWhoDidNotJoin) {
  EXPECT_EQ(stall_message(2, 4, collective(OpKind::kAllReduce, 8), 5s, 5s),
            "rank 2: all_reduce of 8 bytes: not every peer rank of 4 joined after 5.00 s"
            " (deadline comm_timeout = 5.00 s)");
  EXPECT_EQ(stall_message(2, 4, collective(OpKind::kBroadcast, 128, 0), 5s, 5s),
            "rank 2: broadcast of 128 bytes from rank 0: not every peer rank joined after 5.00 s"
            " (deadline comm_timeout = 5.00 s)");
  EXPECT_EQ(stall_message(1, 3, collective(OpKind::kAllGather, 8), 5s, 5s),
            "rank 1: all_gather of 8 bytes per rank: not every peer rank of 3 joined after 5.00 s"
            " (deadline comm_timeout = 5.00 s)");
  EXPECT_EQ(stall_message(2, 4, collective(OpKind::kBarrier, 0), 5s, 5s),
            "rank 2: barrier: not every peer rank of 4 arrived after 5.00 s (deadline comm_timeout = 5.00 s)");
  EXPECT_EQ(stall_message(0, 3, collective(OpKind::kSetup, 0), 5s, 5s),
            "rank 0: NCCL communicator setup: not every peer rank of 3 joined after 5.00 s"
            " (deadline comm_timeout = 5.00 s)");
}

TEST(AsyncErrorMessage, NamesTheOperationInFlightOnOneLine) {
  EXPECT_EQ(async_error_message(1, hop(0, 4096, 2, 4096), "ncclRemoteError: remote process exited\n"),
            "rank 1: NCCL error during fwd kv step 3 hop 2 (receiving 4096 bytes from peer rank 0, sending 4096 bytes"
            " to peer rank 2): ncclRemoteError: remote process exited");
  EXPECT_EQ(async_error_message(1, std::nullopt, "ncclSystemError: socket\nclosed"),
            "rank 1: NCCL error: ncclSystemError: socket closed");
  EXPECT_EQ(async_error_message(0, collective(OpKind::kAllReduce, 8), "x"),
            "rank 0: NCCL error during all_reduce of 8 bytes: x");
}

}  // namespace
}  // namespace ra::comm::nccl

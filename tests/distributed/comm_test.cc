// The MPI communicator on P real processes (P = 2..4): ring exchanges enqueued on a
// stream, collectives, split into dp × sp groups, the received-size check, and the
// deadline that turns a silent peer into ra::PeerError naming what was awaited.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/mpi/mpi_communicator.h"
#include "runtime/core/error.h"
#include "runtime/device/cpu/cpu_device.h"
#include "tests/distributed/mpi_test_env.h"

namespace ra::comm {
namespace {

using testing::world;

TensorView f32(std::vector<float>& v) { return TensorView(v.data(), DType::kF32, Shape{static_cast<std::int64_t>(v.size())}); }

TEST(MpiCommunicator, RingExchangeOnAStream) {
  Communicator& c = world();
  const int p = c.size(), r = c.rank();
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  std::vector<float> send(1000), recv(1000, -1.0f);
  std::iota(send.begin(), send.end(), static_cast<float>(1000 * r));
  c.exchange({f32(send), (r + 1) % p, f32(recv), (r + p - 1) % p, CommTag{"test", 0, 1}}, *stream);
  stream->synchronize();
  const int from = (r + p - 1) % p;
  for (std::size_t i = 0; i < recv.size(); ++i) {
    ASSERT_EQ(recv[i], static_cast<float>(1000 * from) + static_cast<float>(i)) << "element " << i;
  }
}

TEST(MpiCommunicator, AllReduceBroadcastBarrier) {
  Communicator& c = world();
  const int p = c.size(), r = c.rank();
  std::vector<float> x{static_cast<float>(r), 1.0f, static_cast<float>(-r)};
  c.all_reduce(f32(x), ReduceOp::kSum);
  EXPECT_EQ(x[0], static_cast<float>(p * (p - 1) / 2));
  EXPECT_EQ(x[1], static_cast<float>(p));
  EXPECT_EQ(x[2], -static_cast<float>(p * (p - 1) / 2));
  std::vector<float> m{static_cast<float>(r)};
  c.all_reduce(f32(m), ReduceOp::kMax);
  EXPECT_EQ(m[0], static_cast<float>(p - 1));
  c.all_reduce(f32(m), ReduceOp::kMin);
  EXPECT_EQ(m[0], static_cast<float>(p - 1));
  std::vector<float> b{r == p - 1 ? 42.0f : 0.0f};
  c.broadcast(f32(b), p - 1);
  EXPECT_EQ(b[0], 42.0f);
  c.barrier();
}

// world = dp × sp: ranks with the same dp index form a sequence-parallel ring.
TEST(MpiCommunicator, SplitIntoSequenceParallelGroups) {
  Communicator& c = world();
  if (c.size() % 2 != 0) GTEST_SKIP() << "needs an even world";
  const int sp = 2, dp_index = c.rank() / sp;
  auto group = c.split(dp_index, c.rank());
  ASSERT_EQ(group->size(), sp);
  EXPECT_EQ(group->rank(), c.rank() % sp);
  std::vector<float> x{static_cast<float>(c.rank())};
  group->all_reduce(f32(x), ReduceOp::kSum);
  EXPECT_EQ(x[0], static_cast<float>(2 * dp_index * sp + 1)) << "sum of the two world ranks of the group";
}

TEST(MpiCommunicator, ShortAndLongMessagesNameBothSizes) {
  Communicator& c = world();
  const int r = c.rank();
  if (r > 1) GTEST_SKIP() << "ranks 0 and 1 take part";
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  for (std::int64_t sent_elems : {3, 5}) {
    std::vector<float> send(static_cast<std::size_t>(sent_elems), 1.0f), recv(4);
    if (r == 1) {
      c.exchange({f32(send), 0, {}, -1, CommTag{"size", 0, 1}}, *stream);
      stream->synchronize();
    } else {
      c.exchange({{}, -1, f32(recv), 1, CommTag{"size", 0, 1}}, *stream);
      try {
        stream->synchronize();
        ADD_FAILURE() << "a " << sent_elems * 4 << "-byte message into 16 bytes was accepted";
      } catch (const PeerError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("size step 0 hop 1: message size mismatch from rank 1: expected 16 bytes"), std::string::npos) << m;
        EXPECT_NE(m.find(sent_elems == 3 ? "received 12 bytes" : "received more"), std::string::npos) << m;
      }
      stream = dev.create_stream("comm");  // the failed stream stays poisoned, as on CUDA
    }
  }
}

TEST(MpiCommunicator, SilentPeerHitsTheDeadline) {
  CommOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  mpi::MpiCommunicator c(MPI_COMM_WORLD, quick);  // collective: every rank constructs it
  if (c.rank() == 0) {
    device::cpu::CpuDevice dev;
    auto stream = dev.create_stream("comm");
    std::vector<float> recv(64);
    const auto t0 = std::chrono::steady_clock::now();
    c.exchange({{}, -1, f32(recv), 1, CommTag{"silent", 7, 8}}, *stream);  // rank 1 never sends
    try {
      stream->synchronize();
      ADD_FAILURE() << "no deadline fired";
    } catch (const PeerError& e) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string m = e.what();
      EXPECT_NE(m.find("silent step 7 hop 8: no data from peer rank 1 (waiting to receive 256 bytes) after 0."),
                std::string::npos) << m;
      EXPECT_NE(m.find("(deadline comm_timeout = 0.30 s)"), std::string::npos) << m;
      EXPECT_GE(s, 0.3);
      EXPECT_LT(s, 1.3) << "deadline + 1 s";
    }
  }
  world().barrier();
}

}  // namespace
}  // namespace ra::comm

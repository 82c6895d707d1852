// The staged communicator (comm/staged) over the real MPI communicator, beyond the
// shared transport cases of comm_test.cc: device views are staged and host views pass
// through, staging buffers are reused (grow-only) and given up after a failure, the
// ring over it is bitwise identical to the ring over plain MPI, and the node-local rank.
//
// There is no GPU here: "device" views are host memory labelled DeviceKind::kCuda, and a
// test stager copies them with memcpy while counting what it does. The MPI communicator
// rejects kCuda views, so every such view that reached it unstaged would fail the test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "comm/collectives.h"
#include "comm/mpi/mpi_communicator.h"
#include "comm/staged/staged_communicator.h"
#include "comm/staged/stager.h"
#include "runtime/core/error.h"
#include "runtime/device/cpu/cpu_device.h"
#include "tests/distributed/mpi_test_env.h"
#include "tests/support/attention_case.h"
#include "tests/support/ring_harness.h"

namespace ra::comm::staged {
namespace {

using testing::world;

// Stages "device" (kCuda-labelled host) memory with memcpy, counting allocations and copies.
class CountingStager final : public Stager {
 public:
  DeviceKind staged_kind() const override { return DeviceKind::kCuda; }
  void copy_to_host(void* dst_host, ConstTensorView src) override {
    ASSERT_EQ(src.device(), DeviceKind::kCuda);
    if (src.size_bytes() > 0) std::memcpy(dst_host, src.raw(), src.size_bytes());
    ++to_host;
  }
  void copy_to_device(TensorView dst, const void* src_host) override {
    ASSERT_EQ(dst.device(), DeviceKind::kCuda);
    if (dst.size_bytes() > 0) std::memcpy(dst.raw(), src_host, dst.size_bytes());
    ++to_device;
  }
  std::unique_ptr<StagingBuffer> allocate_pinned(std::size_t size_bytes) override {
    ++allocations;
    allocated_bytes += size_bytes;
    return host_.allocate_pinned(size_bytes);
  }

  std::atomic<int> to_host{0}, to_device{0}, allocations{0};
  std::atomic<std::size_t> allocated_bytes{0};

 private:
  HostStager host_;
};

TensorView dev_f32(std::vector<float>& v) {
  return TensorView(v.data(), DType::kF32, Shape{static_cast<std::int64_t>(v.size())}, DeviceKind::kCuda);
}
TensorView host_f32(std::vector<float>& v) {
  return TensorView(v.data(), DType::kF32, Shape{static_cast<std::int64_t>(v.size())});
}

class Staged : public ::testing::Test {
 protected:
  std::shared_ptr<CountingStager> stager_ = std::make_shared<CountingStager>();
  StagedCommunicator comm_{world(), stager_};
};

// One ring hop of `elems` floats on `stream`; checks what arrived.
void ring_hop(Communicator& c, device::Stream& stream, std::size_t elems, int round) {
  const int p = c.size(), r = c.rank(), from = (r + p - 1) % p;
  std::vector<float> send(elems), recv(elems, -1.0f);
  std::iota(send.begin(), send.end(), static_cast<float>(100000 * r + round));
  c.exchange({dev_f32(send), (r + 1) % p, dev_f32(recv), from, CommTag{"staged", round, round}}, stream);
  stream.synchronize();
  for (std::size_t i = 0; i < elems; ++i) {
    ASSERT_EQ(recv[i], static_cast<float>(100000 * from + round) + static_cast<float>(i)) << "element " << i;
  }
}

TEST_F(Staged, ExchangesReuseTheirStagingBuffersAndGrowOnlyWhenNeeded) {
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  for (int round = 0; round < 5; ++round) ring_hop(comm_, *stream, 1000, round);
  EXPECT_EQ(stager_->allocations.load(), 2) << "one send and one receive buffer for the stream";
  EXPECT_EQ(stager_->to_host.load(), 5);
  EXPECT_EQ(stager_->to_device.load(), 5);
  ring_hop(comm_, *stream, 500, 5);  // smaller: the buffers are reused
  EXPECT_EQ(stager_->allocations.load(), 2);
  ring_hop(comm_, *stream, 3000, 6);  // larger: both grow
  EXPECT_EQ(stager_->allocations.load(), 4);
  ring_hop(comm_, *stream, 3000, 7);
  EXPECT_EQ(stager_->allocations.load(), 4);
  auto other = dev.create_stream("comm 2");  // another stream gets buffers of its own
  ring_hop(comm_, *other, 10, 8);
  EXPECT_EQ(stager_->allocations.load(), 6);
}

TEST_F(Staged, HostViewsPassThroughUnstaged) {
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  const int p = comm_.size(), r = comm_.rank();
  std::vector<float> send(64, static_cast<float>(r)), recv(64, -1.0f);
  comm_.exchange({host_f32(send), (r + 1) % p, host_f32(recv), (r + p - 1) % p, CommTag{"host", 0, 1}}, *stream);
  stream->synchronize();
  EXPECT_EQ(recv[63], static_cast<float>((r + p - 1) % p));
  std::vector<float> x{1.0f};
  comm_.all_reduce(host_f32(x), ReduceOp::kSum);
  EXPECT_EQ(x[0], static_cast<float>(p));
  const std::vector<std::string> names = all_gather_strings(comm_, "r" + std::to_string(r));
  EXPECT_EQ(names.back(), "r" + std::to_string(p - 1));
  EXPECT_EQ(stager_->to_host.load() + stager_->to_device.load() + stager_->allocations.load(), 0);
}

TEST_F(Staged, CollectivesOfDeviceViews) {
  const int p = comm_.size(), r = comm_.rank();
  std::vector<float> x{static_cast<float>(r), 1.0f};
  comm_.all_reduce(dev_f32(x), ReduceOp::kSum);
  EXPECT_EQ(x[0], static_cast<float>(p * (p - 1) / 2));
  EXPECT_EQ(x[1], static_cast<float>(p));
  std::vector<float> b(3, r == p - 1 ? 7.5f : 0.0f);
  comm_.broadcast(dev_f32(b), p - 1);
  EXPECT_EQ(b, std::vector<float>(3, 7.5f));
  std::vector<float> mine(4, static_cast<float>(r)), all(4 * static_cast<std::size_t>(p), -1.0f);
  comm_.all_gather(dev_f32(mine), TensorView(all.data(), DType::kF32, Shape{p, 4}, DeviceKind::kCuda));
  for (int q = 0; q < p; ++q) EXPECT_EQ(all[static_cast<std::size_t>(4 * q + 3)], static_cast<float>(q));
  std::vector<float> some(static_cast<std::size_t>(r) + 1, 2.0f);
  const GatheredBytes gathered = comm_.all_gather_v(dev_f32(some));
  for (int q = 0; q < p; ++q)
    EXPECT_EQ(gathered[static_cast<std::size_t>(q)].size(), 4u * (static_cast<std::size_t>(q) + 1));
  // Buffers per direction, grown to the largest message: to host, to device.
  EXPECT_LE(stager_->allocations.load(), 4);
  const int before = stager_->allocations.load();
  comm_.all_reduce(dev_f32(x), ReduceOp::kMax);
  comm_.all_gather(dev_f32(mine), TensorView(all.data(), DType::kF32, Shape{p, 4}, DeviceKind::kCuda));
  EXPECT_EQ(stager_->allocations.load(), before) << "same sizes again: no allocation";
  comm_.barrier();
}

TEST_F(Staged, MismatchedDeviceViewsAreTheInnerCommunicatorsErrors) {
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  const int r = comm_.rank();
  std::vector<float> send(4), recv(4 * static_cast<std::size_t>(comm_.size()) + 1);
  EXPECT_THROW(comm_.all_gather(dev_f32(send), dev_f32(recv)), InternalError);
  comm_.barrier();
  if (r <= 1) {
    std::vector<float> three(3, 1.0f), four(4);
    if (r == 1) {
      comm_.exchange({dev_f32(three), 0, {}, -1, CommTag{"size", 0, 1}}, *stream);
      stream->synchronize();
    } else {
      comm_.exchange({{}, -1, dev_f32(four), 1, CommTag{"size", 0, 1}}, *stream);
      try {
        stream->synchronize();
        ADD_FAILURE() << "a 12-byte message into 16 bytes was accepted";
      } catch (const PeerError& e) {
        EXPECT_EQ(e.exit_code(), ExitCode::kPeerFailure);
        const std::string m = e.what();
        EXPECT_NE(m.find("size step 0 hop 1: message size mismatch from rank 1: expected 16 bytes, received 12 bytes"),
                  std::string::npos)
            << m;
      }
    }
  }
  comm_.barrier();
}

TEST_F(Staged, SplitStagesTooAndSharesTheStager) {
  auto group = comm_.split(comm_.rank() % 2, comm_.rank());
  ASSERT_NE(dynamic_cast<StagedCommunicator*>(group.get()), nullptr);
  std::vector<float> x{1.0f};
  group->all_reduce(dev_f32(x), ReduceOp::kSum);  // MPI alone would reject the device view
  EXPECT_EQ(x[0], static_cast<float>(group->size()));
  EXPECT_GE(stager_->to_host.load(), 1);
}

TEST_F(Staged, ADeviceViewOnAnotherKindIsRejectedAtEnqueue) {
  // A host stager stages host views; "device" views are neither its kind nor host memory.
  StagedCommunicator host_staged(world(), std::make_shared<HostStager>());
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  std::vector<float> v(4);
  EXPECT_THROW(host_staged.exchange({dev_f32(v), 0, {}, -1, CommTag{"kind", 0, 0}}, *stream), InternalError);
  stream->synchronize();  // nothing was enqueued
}

// A device stream (native_handle set): its waits would not hold back a host-side hop.
class DeviceLikeStream final : public device::Stream {
 public:
  std::string_view name() const override { return "compute"; }
  void launch(std::string_view /*label*/, std::function<void()> work) override { work(); }
  void record(device::Event& /*event*/) override {}
  void wait(device::Event& /*event*/) override {}
  void synchronize() override {}
  void* native_handle() override { return this; }
};

TEST_F(Staged, ExchangesRefuseADeviceStream) {
  DeviceLikeStream stream;
  std::vector<float> v(4);
  try {
    comm_.exchange({dev_f32(v), 0, {}, -1, CommTag{"kind", 0, 0}}, stream);
    ADD_FAILURE() << "a staged exchange was enqueued on a device stream";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("Device::create_host_stream"), std::string::npos) << e.what();
  }
}

// enqueue_all_reduce: the reduction runs on the stream's thread, in order after the work
// launched before it (here: the producer writing the data) and before the work launched
// after it (the consumer reading the sum); the host does not wait at enqueue.
TEST_F(Staged, AllReduceEnqueuedOnAHostStreamRunsInStreamOrder) {
  device::cpu::CpuDevice dev;
  auto stream = dev.create_host_stream("grad reduce");
  const int p = comm_.size(), r = comm_.rank();
  std::vector<float> x(1000, -1.0f), host_x(3, -1.0f), seen;
  stream->launch("produce", [&] {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(r + 1) * static_cast<float>(i);
  });
  comm_.enqueue_all_reduce(dev_f32(x), ReduceOp::kSum, *stream);
  comm_.enqueue_all_reduce(host_f32(host_x), ReduceOp::kMin, *stream);  // passes through to MPI
  stream->launch("consume", [&] { seen = x; });
  stream->synchronize();
  const float ranks_sum = static_cast<float>(p * (p + 1) / 2);
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(seen[i], ranks_sum * static_cast<float>(i)) << "element " << i;
  EXPECT_EQ(host_x, std::vector<float>(3, -1.0f));
  EXPECT_GE(stager_->to_host.load(), 1);
  EXPECT_THROW(
      {
        DeviceLikeStream device_stream;
        comm_.enqueue_all_reduce(dev_f32(x), ReduceOp::kSum, device_stream);
      },
      InternalError);
}

// A peer that never joins an enqueued all-reduce: the stream fails with the inner
// communicator's PeerError past the deadline, naming the all-reduce; nothing hangs.
TEST(StagedAllReduce, APeerThatNeverJoinsFailsTheStreamPastTheDeadline) {
  auto group = world().split(0, world().rank());
  CommOptions o = group->options();
  o.timeout = std::chrono::milliseconds(300);
  group->set_options(o);
  StagedCommunicator staged(*group, std::make_shared<HostStager>());
  device::cpu::CpuDevice dev;
  auto stream = dev.create_host_stream("grad reduce");
  std::vector<float> x(4, 1.0f);
  if (staged.rank() != 0 || staged.size() == 1) return;  // rank 0 alone enqueues; the others never join
  staged.enqueue_all_reduce(host_f32(x), ReduceOp::kSum, *stream);
  try {
    stream->synchronize();
    ADD_FAILURE() << "an all-reduce nobody joined completed";
  } catch (const PeerError& e) {
    EXPECT_NE(std::string(e.what()).find("all_reduce"), std::string::npos) << e.what();
  }
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Same kernels, same order, same bytes delivered: the ring over the staged transport
// (host stager, so every hop really goes through the staging buffers) is bitwise the
// ring over MPI.
TEST(StagedRing, BitwiseIdenticalToTheRingOverMpi) {
  using layout::Layout;
  const std::vector<ra::testing::CaseSpec> specs = {
      {.lq = 150, .lk = 150, .hq = 4, .hkv = 2, .d = 32, .causal = true, .segments = 2, .seed = 41},
      {.lq = 113, .lk = 113, .hq = 4, .hkv = 1, .d = 16, .causal = false, .window = 9, .seed = 42},
      {.lq = 96, .lk = 96, .hq = 4, .hkv = 2, .d = 16, .causal = true, .storage = DType::kBF16, .seed = 43},
  };
  StagedCommunicator staged(world(), std::make_shared<HostStager>());
  for (const ra::testing::CaseSpec& spec : specs) {
    const ra::testing::AttnCase c = ra::testing::make_case(spec);
    for (Layout l : {Layout::kContiguous, Layout::kZigzag, Layout::kStriped}) {
      ra::testing::RingRunOptions o;
      o.layout = l;
      o.kernel.threads = 1;
      o.kernel.forward = {16, 32};
      o.kernel.backward = {16, 16};
      const ra::testing::RingRun mpi = ra::testing::run_ring(world(), c, o);
      const ra::testing::RingRun st = ra::testing::run_ring(staged, c, o);
      const std::string what = ra::testing::case_name(spec) + " " + std::string(layout::layout_name(l));
      EXPECT_TRUE(bitwise_equal(mpi.result.o, st.result.o)) << what << " O";
      EXPECT_TRUE(bitwise_equal(mpi.result.lse, st.result.lse)) << what << " LSE";
      EXPECT_TRUE(bitwise_equal(mpi.result.dq, st.result.dq)) << what << " dQ";
      EXPECT_TRUE(bitwise_equal(mpi.result.dk, st.result.dk)) << what << " dK";
      EXPECT_TRUE(bitwise_equal(mpi.result.dv, st.result.dv)) << what << " dV";
    }
  }
}

TEST(NodeLocal, FromHostNames) {
  const std::vector<std::string> hosts = {"a", "b", "a", "a", "b", "c"};
  const int want_rank[] = {0, 0, 1, 2, 1, 0}, want_size[] = {3, 2, 3, 3, 2, 1};
  for (int r = 0; r < 6; ++r) {
    const NodeLocal n = node_local_of(hosts, r);
    EXPECT_EQ(n.local_rank, want_rank[r]) << "rank " << r;
    EXPECT_EQ(n.local_size, want_size[r]) << "rank " << r;
  }
  EXPECT_THROW(node_local_of(hosts, 6), InternalError);
}

// Every rank of this test runs on one host.
TEST(NodeLocal, EveryRankOnOneHost) {
  const NodeLocal n = node_local_rank(world());
  EXPECT_EQ(n.local_rank, world().rank());
  EXPECT_EQ(n.local_size, world().size());
  StagedCommunicator staged(world(), std::make_shared<HostStager>());  // generic over transports
  const NodeLocal s = node_local_rank(staged);
  EXPECT_EQ(s.local_rank, n.local_rank);
  EXPECT_EQ(s.local_size, n.local_size);
}

}  // namespace
}  // namespace ra::comm::staged

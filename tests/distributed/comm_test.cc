// The host-memory transports on P real processes (P = 2..4): ring exchanges enqueued on
// a stream, collectives (all-gathers of equal and variable sizes, broadcasts of data only
// the root has the size of), split into dp × sp groups, the received-size check, and
// the deadline that turns a silent peer into ra::PeerError naming what was awaited.
// Every case runs twice: over the MPI communicator, and over the staged communicator
// (comm/staged) with the host stager wrapping it — same checks, same messages, since the
// staged one must be indistinguishable from its inner communicator.
// Expected contents are recomputed on every rank from the contributing rank's index,
// never taken from another rank.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "comm/checksummed_communicator.h"
#include "comm/collectives.h"
#include "comm/fault_injecting_communicator.h"
#include "comm/communicator.h"
#include "comm/mpi/mpi_communicator.h"
#include "comm/mpi/mpi_wait.h"
#include "comm/staged/staged_communicator.h"
#include "comm/staged/stager.h"
#include "runtime/core/error.h"
#include "runtime/device/cpu/cpu_device.h"
#include "tests/distributed/mpi_test_env.h"

namespace ra::comm {
namespace {

using testing::world;

enum class Transport : std::uint8_t { kMpi, kStaged };

// The communicator under test: the world itself, or a staged communicator over it.
class Transports : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    if (GetParam() == Transport::kStaged) {
      staged_ = std::make_unique<staged::StagedCommunicator>(world(), std::make_shared<staged::HostStager>());
    }
  }
  Communicator& comm() { return staged_ ? *staged_ : world(); }
  // A fresh communicator over MPI_COMM_WORLD with its own options. Collective.
  std::unique_ptr<Communicator> make(const CommOptions& options) {
    auto mpi = std::make_unique<mpi::MpiCommunicator>(MPI_COMM_WORLD, options);
    if (GetParam() == Transport::kMpi) return mpi;
    return std::make_unique<staged::StagedCommunicator>(std::move(mpi), std::make_shared<staged::HostStager>());
  }

 private:
  std::unique_ptr<Communicator> staged_;
};

std::string transport_name(const ::testing::TestParamInfo<Transport>& p) {
  return p.param == Transport::kMpi ? "Mpi" : "Staged";
}

INSTANTIATE_TEST_SUITE_P(Comm, Transports, ::testing::Values(Transport::kMpi, Transport::kStaged), transport_name);

TensorView f32(std::vector<float>& v) {
  return TensorView(v.data(), DType::kF32, Shape{static_cast<std::int64_t>(v.size())});
}

TEST_P(Transports, RingExchangeOnAStream) {
  Communicator& c = comm();
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

TEST_P(Transports, AllReduceBroadcastBarrier) {
  Communicator& c = comm();
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
TEST_P(Transports, SplitIntoSequenceParallelGroups) {
  Communicator& c = comm();
  if (c.size() % 2 != 0) GTEST_SKIP() << "needs an even world";
  const int sp = 2, dp_index = c.rank() / sp;
  auto group = c.split(dp_index, c.rank());
  ASSERT_EQ(group->size(), sp);
  EXPECT_EQ(group->rank(), c.rank() % sp);
  std::vector<float> x{static_cast<float>(c.rank())};
  group->all_reduce(f32(x), ReduceOp::kSum);
  EXPECT_EQ(x[0], static_cast<float>(2 * dp_index * sp + 1)) << "sum of the two world ranks of the group";
}

TEST_P(Transports, ShortAndLongMessagesNameBothSizes) {
  Communicator& c = comm();
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
        EXPECT_NE(m.find("size step 0 hop 1: message size mismatch from rank 1: expected 16 bytes"), std::string::npos)
            << m;
        EXPECT_NE(m.find(sent_elems == 3 ? "received 12 bytes" : "received more"), std::string::npos) << m;
      }
      stream = dev.create_stream("comm");  // the failed stream stays poisoned, as on CUDA
    }
  }
}

// What rank r contributes as element i, per element type: distinct across ranks and
// elements, so a block in the wrong place or a shifted element is caught.
template <typename T>
T element(int r, std::size_t i) {
  const auto ri = static_cast<std::int64_t>(r), ii = static_cast<std::int64_t>(i);
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(1000 * ri + ii) + 0.5f;
  else if constexpr (std::is_same_v<T, double>)
    return static_cast<double>(1000000 * ri + ii) + 0.25;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return static_cast<std::int32_t>(-(1000 * ri + ii));
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return static_cast<std::uint8_t>((37 * ri + 11 * ii + 1) % 256);
  else
    return bf16{static_cast<std::uint16_t>((257 * ri + ii) % 65536)};  // bit patterns: no arithmetic
}

template <typename T>
bool same(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, bf16>)
    return a.bits == b.bits;
  else
    return a == b;
}

template <typename T>
void expect_all_gather_in_rank_order(Communicator& c, std::size_t elems_per_rank) {
  const int p = c.size();
  std::vector<T> send(elems_per_rank), recv(static_cast<std::size_t>(p) * elems_per_rank);
  for (std::size_t i = 0; i < send.size(); ++i) send[i] = element<T>(c.rank(), i);
  const DType dt = dtype_of_v<T>;
  const auto n = static_cast<std::int64_t>(elems_per_rank);
  c.all_gather(ConstTensorView(send.data(), dt, Shape{n}), TensorView(recv.data(), dt, Shape{p, n}));
  for (int r = 0; r < p; ++r) {
    for (std::size_t i = 0; i < elems_per_rank; ++i) {
      ASSERT_TRUE(same(recv[static_cast<std::size_t>(r) * elems_per_rank + i], element<T>(r, i)))
          << dtype_name(dt) << ": rank " << r << "'s element " << i;
    }
  }
}

TEST_P(Transports, AllGatherEqualSizesEveryDtype) {
  Communicator& c = comm();
  expect_all_gather_in_rank_order<float>(c, 1000);
  expect_all_gather_in_rank_order<double>(c, 3);
  expect_all_gather_in_rank_order<std::int32_t>(c, 17);
  expect_all_gather_in_rank_order<std::uint8_t>(c, 1);
  expect_all_gather_in_rank_order<bf16>(c, 64);
  expect_all_gather_in_rank_order<float>(c, 300000);  // 1.2 MB per rank: past the eager limits
}

// Every rank contributes nothing: a collective all the same (a rank skipping it would
// leave the next one paired with the wrong operation, which the next gather checks).
TEST_P(Transports, AllGatherOfNothing) {
  Communicator& c = comm();
  c.all_gather(ConstTensorView(nullptr, DType::kF32, Shape{0}), TensorView(nullptr, DType::kF32, Shape{c.size(), 0}));
  std::vector<float> empty_send, empty_recv;
  c.all_gather(ConstTensorView(empty_send.data(), DType::kF32, Shape{0}),
               TensorView(empty_recv.data(), DType::kF32, Shape{0}));
  expect_all_gather_in_rank_order<std::int32_t>(c, 2);
}

// "Rank order" is the communicator's: in a group whose keys reverse the world's ranks,
// block g holds the contribution of world rank p - 1 - g.
TEST_P(Transports, AllGatherFollowsTheGroupsRankOrder) {
  Communicator& c = comm();
  const int p = c.size();
  auto reversed = c.split(0, p - 1 - c.rank());
  ASSERT_EQ(reversed->rank(), p - 1 - c.rank());
  std::int32_t mine = 100 + c.rank();
  std::vector<std::int32_t> all(static_cast<std::size_t>(p), -1);
  reversed->all_gather(ConstTensorView(&mine, DType::kI32, Shape{1}), TensorView(all.data(), DType::kI32, Shape{p}));
  for (int g = 0; g < p; ++g) EXPECT_EQ(all[static_cast<std::size_t>(g)], 100 + (p - 1 - g)) << "group rank " << g;
}

TEST_P(Transports, AllGatherRejectsMismatchedViewsBeforeCommunicating) {
  Communicator& c = comm();
  std::vector<float> send(4), recv(4 * static_cast<std::size_t>(c.size()) + 1);
  try {
    c.all_gather(ConstTensorView(send.data(), DType::kF32, Shape{4}),
                 TensorView(recv.data(), DType::kF32, Shape{static_cast<std::int64_t>(recv.size())}));
    ADD_FAILURE() << "a receive view one element too long was accepted";
  } catch (const InternalError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("all_gather: receive bytes vs " + std::to_string(c.size()) + " ranks x 16 send bytes"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("(" + std::to_string(recv.size() * 4) + " vs " + std::to_string(16 * c.size()) + ")"),
              std::string::npos)
        << m;
  }
  std::vector<std::int32_t> wrong_dtype(4 * static_cast<std::size_t>(c.size()));
  EXPECT_THROW(c.all_gather(ConstTensorView(send.data(), DType::kF32, Shape{4}),
                            TensorView(wrong_dtype.data(), DType::kI32, Shape{4 * c.size()})),
               InternalError);
  c.barrier();  // nothing was issued: the ranks are still in step
}

// Rank r's contribution to the variable-size tests: `bytes_of(r)` bytes, byte i of it
// a function of (r, i).
std::byte byte_of(int r, std::size_t i) {
  return static_cast<std::byte>((131 * static_cast<std::size_t>(r) + 7 * i + 3) % 251);
}

std::vector<std::byte> contribution(int r, std::size_t size_bytes) {
  std::vector<std::byte> v(size_bytes);
  for (std::size_t i = 0; i < size_bytes; ++i) v[i] = byte_of(r, i);
  return v;
}

void expect_all_gather_v(Communicator& c, const std::function<std::size_t(int rank)>& bytes_of) {
  const std::vector<std::byte> mine = contribution(c.rank(), bytes_of(c.rank()));
  const GatheredBytes all =
      c.all_gather_v(ConstTensorView(mine.data(), DType::kU8, Shape{static_cast<std::int64_t>(mine.size())}));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(c.size()));
  for (int r = 0; r < c.size(); ++r) {
    const std::vector<std::byte>& got = all[static_cast<std::size_t>(r)];
    ASSERT_EQ(got.size(), bytes_of(r)) << "rank " << r << "'s contribution";
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], byte_of(r, i)) << "rank " << r << "'s byte " << i;
  }
}

TEST_P(Transports, AllGatherVariableSizes) {
  Communicator& c = comm();
  // Very different sizes, rank 1 contributing nothing: 3 B, 0 B, 2 MB + 7, 4 MB + 7.
  expect_all_gather_v(c, [](int r) -> std::size_t {
    if (r == 0) return 3;
    if (r == 1) return 0;
    return static_cast<std::size_t>(r - 1) * (2u << 20) + 7;
  });
  expect_all_gather_v(c, [](int) -> std::size_t { return 0; });                             // nobody has anything
  expect_all_gather_v(c, [&](int r) -> std::size_t { return r == c.size() - 1 ? 1 : 0; });  // only the last rank
  expect_all_gather_v(c, [](int) -> std::size_t { return 40; });                            // equal sizes work too
}

TEST_P(Transports, AllGatherVariableSizesOfTypedViewsAndStrings) {
  Communicator& c = comm();
  std::vector<double> mine(static_cast<std::size_t>(c.rank()) + 1);
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = element<double>(c.rank(), i);
  const GatheredBytes all =
      c.all_gather_v(ConstTensorView(mine.data(), DType::kF64, Shape{static_cast<std::int64_t>(mine.size())}));
  for (int r = 0; r < c.size(); ++r) {
    const std::vector<std::byte>& got = all[static_cast<std::size_t>(r)];
    ASSERT_EQ(got.size(), (static_cast<std::size_t>(r) + 1) * sizeof(double));
    for (std::size_t i = 0; i <= static_cast<std::size_t>(r); ++i) {
      double v = 0;
      std::memcpy(&v, got.data() + i * sizeof(double), sizeof v);
      EXPECT_EQ(v, element<double>(r, i)) << "rank " << r << "'s element " << i;
    }
  }
  const std::vector<std::string> texts = all_gather_strings(
      c, c.rank() == 0
             ? std::string()
             : "rank " + std::to_string(c.rank()) + std::string(static_cast<std::size_t>(c.rank()) * 1000, '.'));
  ASSERT_EQ(texts.size(), static_cast<std::size_t>(c.size()));
  EXPECT_EQ(texts[0], "");
  for (int r = 1; r < c.size(); ++r) {
    EXPECT_EQ(texts[static_cast<std::size_t>(r)],
              "rank " + std::to_string(r) + std::string(static_cast<std::size_t>(r) * 1000, '.'));
  }
}

// The root's text for the variable-size broadcasts; the other ranks start with a buffer
// of another size and contents, which must be replaced exactly.
std::string text_of(int root, std::size_t size_bytes) {
  std::string t(size_bytes, '\0');
  for (std::size_t i = 0; i < size_bytes; ++i)
    t[i] = static_cast<char>('a' + (static_cast<std::size_t>(root) + i) % 26);
  return t;
}

TEST_P(Transports, BroadcastOfDataOnlyTheRootHasTheSizeOf) {
  Communicator& c = comm();
  for (int root = 0; root < c.size(); ++root) {
    for (std::size_t size_bytes : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{5u << 20}}) {
      std::string text = c.rank() == root ? text_of(root, size_bytes) : std::string(77, '#');
      broadcast_bytes(c, text, root);
      ASSERT_EQ(text.size(), size_bytes) << "from rank " << root;
      ASSERT_EQ(text, text_of(root, size_bytes)) << "from rank " << root;
    }
  }
  const int root = c.size() - 1;
  std::vector<float> f = c.rank() == root ? std::vector<float>{1.5f, -2.0f, 3.25f} : std::vector<float>(9, 0.0f);
  broadcast_vector(c, f, root);
  EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  std::vector<std::int32_t> none = c.rank() == root ? std::vector<std::int32_t>{} : std::vector<std::int32_t>{4, 5};
  broadcast_vector(c, none, root);
  EXPECT_TRUE(none.empty());
  std::vector<std::int32_t> ints(c.rank() == 0 ? 100000 : 3);
  if (c.rank() == 0) std::iota(ints.begin(), ints.end(), -50000);
  broadcast_vector(c, ints, 0);
  ASSERT_EQ(ints.size(), 100000u);
  for (std::size_t i = 0; i < ints.size(); ++i) ASSERT_EQ(ints[i], static_cast<std::int32_t>(i) - 50000) << i;
}

// A gather that one rank does not join ends at the deadline with a PeerError that names
// that rank — and only it: the ranks that did arrive are known from the arrival side
// channel (issue 14, failure 14), not from the stalled gather. The latecomer then joins
// the abandoned gather (the others keep MPI progressing in the barrier), so nothing is
// left pending for the tests after this one.
TEST_P(Transports, AllGatherWithAMissingRankNamesItAtTheDeadline) {
  CommOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  const std::unique_ptr<Communicator> owned = make(quick);
  Communicator& c = *owned;
  const int late = c.size() - 1;
  // One collective that everybody joins first: the laggard's last arrival is then #1.
  c.barrier();
  std::int32_t mine = c.rank();
  std::vector<std::int32_t> all(static_cast<std::size_t>(c.size()));
  const ConstTensorView send(&mine, DType::kI32, Shape{1});
  const TensorView recv(all.data(), DType::kI32, Shape{c.size()});
  if (c.rank() != late) {
    try {
      c.all_gather(send, recv);
      ADD_FAILURE() << "no deadline fired";
    } catch (const PeerError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("all_gather of " + std::to_string(4 * c.size()) + " bytes: rank " + std::to_string(late) +
                       " (its last: #1) of " + std::to_string(c.size()) +
                       " did not arrive at collective #2 of this communicator after 0."),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("(deadline comm_timeout = 0.30 s)"), std::string::npos) << m;
    }
  }
  world().barrier();
  if (c.rank() == late) {
    c.all_gather(send, recv);
    for (int r = 0; r < c.size(); ++r) EXPECT_EQ(all[static_cast<std::size_t>(r)], r);
  }
  world().barrier();
}

// A barrier that every rank joins but one: the message names the missing ranks of 3+.
TEST_P(Transports, BarrierWithoutTwoRanksNamesBoth) {
  CommOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  const std::unique_ptr<Communicator> owned = make(quick);
  Communicator& c = *owned;
  if (c.size() < 3) GTEST_SKIP() << "needs 3 ranks";
  const int p = c.size();
  const bool joins_late = c.rank() >= p - 2;
  if (!joins_late) {
    try {
      c.barrier();
      ADD_FAILURE() << "no deadline fired";
    } catch (const PeerError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("barrier: ranks " + std::to_string(p - 2) + " (none yet), " + std::to_string(p - 1) +
                       " (none yet) of " + std::to_string(p) + " did not arrive at collective #1"),
                std::string::npos)
          << m;
    }
  }
  world().barrier();
  if (joins_late) c.barrier();
  world().barrier();
}

TEST_P(Transports, SilentPeerHitsTheDeadline) {
  CommOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  const std::unique_ptr<Communicator> owned = make(quick);  // collective: every rank constructs it
  Communicator& c = *owned;
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
                std::string::npos)
          << m;
      EXPECT_NE(m.find("(deadline comm_timeout = 0.30 s)"), std::string::npos) << m;
      EXPECT_GE(s, 0.3);
      EXPECT_LT(s, 1.3) << "deadline + 1 s";
    }
  }
  world().barrier();
}

// Stops this whole process (every thread) for about `seconds`: a child sends SIGCONT.
void stop_self_for(double seconds) {
  const std::string script = "sleep " + std::to_string(seconds) + "; kill -CONT " + std::to_string(::getpid());
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), ::environ), 0);
  std::raise(SIGSTOP);
  int status = 0;
  waitpid(child, &status, 0);
}

// Issue 14, failure 14: a rank that was stopped (SIGSTOP, a suspended job) must not blame
// a healthy peer. (1) Stopped for 2.5 s during a wait with a 2 s deadline, the rank does
// not charge that time to its peer: the data, sent 3.5 s in, arrives in time. (2) Stopped
// during a wait whose peer never sends, it says it was stopped. (3) Stopped before the
// wait (continued by SIGCONT), its message says so too.
TEST_P(Transports, AStoppedRankDoesNotBlameItsPeer) {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer defers an asynchronous signal's handler to the thread's next
  // interceptor call: the SIGCONT handler then runs after the heartbeat has moved on and
  // cannot measure the stop (flaky under tsan in a loaded run; fine in every other build).
  GTEST_SKIP() << "SIGCONT timing is ThreadSanitizer's, not the program's";
#endif
  mpi::watch_for_resume();
  CommOptions options;
  options.timeout = world().rank() == 1 ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(30000);
  const std::unique_ptr<Communicator> owned = make(options);
  Communicator& c = *owned;
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  std::vector<float> buf(64, 1.0f);
  if (c.rank() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    c.exchange({f32(buf), 1, {}, -1, CommTag{"late", 1, 1}}, *stream);
    stream->synchronize();
  } else if (c.rank() == 1) {
    c.exchange({{}, -1, f32(buf), 0, CommTag{"late", 1, 1}}, *stream);
    stop_self_for(2.5);
    EXPECT_NO_THROW(stream->synchronize()) << "the stopped time was charged to the peer";
  }
  world().barrier();
  if (c.rank() == 1) {
    CommOptions quick;
    quick.timeout = std::chrono::milliseconds(1000);
    c.set_options(quick);
    c.exchange({{}, -1, f32(buf), 0, CommTag{"never", 2, 2}}, *stream);
    stop_self_for(1.5);
    try {
      stream->synchronize();
      ADD_FAILURE() << "no deadline fired";
    } catch (const PeerError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("never step 2 hop 2: no data from peer rank 0"), std::string::npos) << m;
      // Stopped during the wait (a poll gap) or, when the comm thread had not begun it yet,
      // just before (continued by SIGCONT): either way the message says so.
      EXPECT_NE(m.find("this rank itself was stopped"), std::string::npos) << m;
      EXPECT_NE(m.find(" for 1."), std::string::npos) << m;
    }
    auto stream2 = dev.create_stream("comm 2");
    stop_self_for(1.5);
    c.exchange({{}, -1, f32(buf), 0, CommTag{"never", 3, 3}}, *stream2);
    try {
      stream2->synchronize();
      ADD_FAILURE() << "no deadline fired";
    } catch (const PeerError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("; but this rank itself was stopped for 1."), std::string::npos) << m;
      EXPECT_NE(m.find("so the stall may be this rank's, not the peer's"), std::string::npos) << m;
    }
  }
  world().barrier();
}

// Every block of a checksummed ring arrives unchanged, whatever its size (1 byte of
// payload to 1 MiB, empty sends and receives included); the expected contents are
// recomputed from the sender's rank.
TEST_P(Transports, ChecksummedExchangesDeliverTheBlocksUnchanged) {
  ChecksummedCommunicator c(make(CommOptions{}));
  const int p = c.size(), r = c.rank();
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  const int from = (r + p - 1) % p, to = (r + 1) % p;
  for (const std::size_t n : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 18}) {
    std::vector<float> send(n), recv(n, -1.0f);
    std::iota(send.begin(), send.end(), static_cast<float>(7 * r));
    c.exchange({f32(send), to, f32(recv), from, CommTag{"sum", 0, static_cast<int>(n % 1000)}}, *stream);
    stream->synchronize();
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(recv[i], static_cast<float>(7 * from) + static_cast<float>(i)) << "n " << n << " element " << i;
    }
  }
  // One-sided hops (the first and last hop of a chain): rank 0 only sends, rank 1 only receives.
  std::vector<float> one(16, static_cast<float>(r)), got(16, -1.0f);
  if (r == 0) c.exchange({f32(one), 1, {}, -1, CommTag{"sum", 1, 1}}, *stream);
  if (r == 1) c.exchange({{}, -1, f32(got), 0, CommTag{"sum", 1, 1}}, *stream);
  stream->synchronize();
  if (r == 1) {
    EXPECT_EQ(got, std::vector<float>(16, 0.0f));
  }
}

// A block corrupted after it left its sender (the fault injector flips 8 bits of it below
// the checksum, as a bad link would) is a PeerError on the receiving rank naming the hop,
// the peer and both checksums; every other rank's exchanges complete.
TEST_P(Transports, ACorruptedBlockIsAPeerErrorNamingThePeer) {
  FaultPlan plan;
  plan.kind = FaultKind::kCorrupt;
  plan.rank = 1;
  plan.at_exchange = 0;  // the first exchange the decorator passes down: the block of hop 1
  ChecksummedCommunicator c(std::make_unique<FaultInjectingCommunicator>(make(CommOptions{}), plan));
  const int p = c.size(), r = c.rank();
  device::cpu::CpuDevice dev;
  auto stream = dev.create_stream("comm");
  const int from = (r + p - 1) % p, to = (r + 1) % p;
  std::vector<float> send(4096, static_cast<float>(r)), recv(4096);
  // One hop only: after the failed check rank 1's stream stops, as the job would.
  c.exchange({f32(send), to, f32(recv), from, CommTag{"fwd kv", 0, 1}}, *stream);  // inner exchanges 0 (block), 1 (sum)
  if (r != 1) {
    EXPECT_NO_THROW(stream->synchronize());
    return;
  }
  try {
    stream->synchronize();
    ADD_FAILURE() << "rank 1 took a corrupted block";
  } catch (const PeerError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("fwd kv step 0 hop 1: the block received from peer rank 0 (16384 bytes) is corrupt: crc32 0x"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(", the sender's 0x"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace ra::comm

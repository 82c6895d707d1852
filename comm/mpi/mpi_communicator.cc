#include "comm/mpi/mpi_communicator.h"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "comm/mpi/mpi_wait.h"
#include "runtime/core/check.h"
#include "runtime/core/deliberate_leak.h"

namespace ra::comm::mpi {
namespace {

void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw PeerError(std::string(what) + ": " + mpi_error_string(rc));
}

int byte_count(std::size_t bytes, const char* what) {
  RA_CHECK_LE(UsageError, bytes, static_cast<std::size_t>(INT_MAX), what,
              " message exceeds MPI's 2 GiB count limit; use more ranks or fewer heads per message");
  return static_cast<int>(bytes);
}

void check_host(const ConstTensorView& t, const char* what) {
  RA_CHECK_EQ(InternalError, static_cast<int>(t.device()), static_cast<int>(DeviceKind::kCpu), what,
              ": the MPI communicator needs host memory");
}

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::kF32: return MPI_FLOAT;
    case DType::kF64: return MPI_DOUBLE;
    case DType::kI32: return MPI_INT32_T;
    case DType::kU8: return MPI_UINT8_T;
    case DType::kBF16:
    case DType::kF16: break;
  }
  throw InternalError(std::string("MPI reduction over ") + std::string(dtype_name(t)) + " is not supported");
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return MPI_SUM;
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  return MPI_SUM;
}

// Each phase gets its own tag, so a schedule mismatch between ranks times out with a
// message naming the phase instead of silently pairing the wrong messages. The ring's
// phases have fixed tags; any other phase name is hashed above them.
int phase_tag(const char* phase) {
  constexpr const char* kRingPhases[] = {"fwd kv", "bwd kv", "bwd dkv", "bwd dkv return"};
  for (int i = 0; i < 4; ++i) {
    if (std::string_view(phase) == kRingPhases[i]) return i + 1;
  }
  unsigned h = 2166136261u;
  for (const char* p = phase; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  return 100 + static_cast<int>(h % 30000u);
}

// The arrival side channel has a communicator of its own: one tag.
constexpr int kArrivalTag = 1;

std::string where(const CommTag& tag) {
  return std::string(tag.phase) + " step " + std::to_string(tag.step) + " hop " + std::to_string(tag.hop);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm parent, CommOptions options) : options_(options) {
  int provided = 0;
  check_mpi(MPI_Query_thread(&provided), "MPI_Query_thread");
  RA_CHECK_EQ(InternalError, provided, MPI_THREAD_MULTIPLE, "MPI must be initialized with MPI_THREAD_MULTIPLE");
  // Duplication is collective: a rank that never arrives must not hang the others.
  std::vector<MPI_Request> requests(3);
  check_mpi(MPI_Comm_idup(parent, &p2p_, &requests[0]), "MPI_Comm_idup");
  check_mpi(MPI_Comm_idup(parent, &coll_, &requests[1]), "MPI_Comm_idup");
  check_mpi(MPI_Comm_idup(parent, &arrive_, &requests[2]), "MPI_Comm_idup");
  std::vector<MPI_Status> statuses;
  wait_all(requests, statuses, options_, Pending::kAbandon, [](const std::vector<bool>&) {
    return std::string("creating the communicator: not every peer rank arrived");
  });
  // Errors come back as codes and become ra::PeerError with context, never MPI's abort.
  MPI_Comm_set_errhandler(p2p_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(coll_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(arrive_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(p2p_, &rank_);
  MPI_Comm_size(p2p_, &size_);
  arrived_.assign(static_cast<std::size_t>(size_), 0);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  // Announcements are eager 8-byte sends: complete locally; those a peer never read
  // (the last collective's) are released with their communicator.
  for (Announcement& a : announcements_) {
    for (MPI_Request& r : a.sends) {
      if (r != MPI_REQUEST_NULL) MPI_Request_free(&r);
    }
  }
  MPI_Comm_free(&p2p_);
  MPI_Comm_free(&coll_);
  MPI_Comm_free(&arrive_);
}

void MpiCommunicator::drain_arrivals() {
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kArrivalTag, arrive_, &flag, &st) != MPI_SUCCESS || !flag) return;
    std::int64_t number = 0;
    if (MPI_Recv(&number, 1, MPI_INT64_T, st.MPI_SOURCE, kArrivalTag, arrive_, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return;
    auto& seen = arrived_[static_cast<std::size_t>(st.MPI_SOURCE)];
    if (number > seen) seen = number;
  }
}

void MpiCommunicator::announce_arrival() {
  ++collectives_;
  arrived_[static_cast<std::size_t>(rank_)] = collectives_;
  if (size_ == 1) return;
  drain_arrivals();                  // keeps the unexpected-message queue at most one collective deep
  while (!announcements_.empty()) {  // retire announcements whose sends completed
    int done = 0;
    auto& sends = announcements_.front().sends;
    MPI_Testall(static_cast<int>(sends.size()), sends.data(), &done, MPI_STATUSES_IGNORE);
    if (!done) break;
    announcements_.pop_front();
  }
  Announcement& a = announcements_.emplace_back();
  a.number = collectives_;
  a.sends.assign(static_cast<std::size_t>(size_ - 1), MPI_REQUEST_NULL);
  std::size_t i = 0;
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    // Best effort: a failed announcement only makes a later stall message less precise.
    MPI_Isend(&a.number, 1, MPI_INT64_T, peer, kArrivalTag, arrive_, &a.sends[i++]);
  }
}

std::string MpiCommunicator::laggards() {
  drain_arrivals();
  std::string missing;
  int count = 0;
  for (int r = 0; r < size_; ++r) {
    const std::int64_t seen = arrived_[static_cast<std::size_t>(r)];
    if (seen >= collectives_) continue;
    missing += std::string(count++ > 0 ? ", " : "") + std::to_string(r) +
               (seen > 0 ? " (its last: #" + std::to_string(seen) + ")" : " (none yet)");
  }
  const std::string at = "collective #" + std::to_string(collectives_) + " of this communicator";
  if (count == 0) return "every rank of " + std::to_string(size_) + " arrived at " + at + " but it did not complete";
  return (count == 1 ? "rank " : "ranks ") + missing + " of " + std::to_string(size_) + " did not arrive at " + at;
}

std::unique_ptr<Communicator> MpiCommunicator::split(int color, int key) {
  barrier();  // MPI_Comm_split blocks: first make sure, with a deadline, that every rank is here
  MPI_Comm sub = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(p2p_, color, key, &sub), "MPI_Comm_split");
  auto out = std::make_unique<MpiCommunicator>(sub, options_);
  MPI_Comm_free(&sub);
  return out;
}

void MpiCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  if (!x.send.empty()) check_host(x.send, "exchange send");
  if (!x.recv.empty()) check_host(x.recv, "exchange recv");
  RA_CHECK_LT(InternalError, x.send_to, size_, "exchange peer");
  RA_CHECK_LT(InternalError, x.recv_from, size_, "exchange peer");
  stream.launch(std::string(x.tag.phase) + " hop " + std::to_string(x.tag.hop), [this, x] { exchange_now(x); });
}

void MpiCommunicator::exchange_now(const Exchange& x) {
  const int tag = phase_tag(x.tag.phase);
  const bool recv = !x.recv.empty() && x.recv_from >= 0, send = !x.send.empty() && x.send_to >= 0;
  const std::size_t want_bytes = recv ? x.recv.size_bytes() : 0;
  std::vector<MPI_Request> requests;
  if (recv) {
    requests.emplace_back();
    check_mpi(
        MPI_Irecv(x.recv.raw(), byte_count(want_bytes, "receive"), MPI_BYTE, x.recv_from, tag, p2p_, &requests.back()),
        "MPI_Irecv");
  }
  if (send) {
    requests.emplace_back();
    check_mpi(MPI_Isend(x.send.raw(), byte_count(x.send.size_bytes(), "send"), MPI_BYTE, x.send_to, tag, p2p_,
                        &requests.back()),
              "MPI_Isend");
  }
  std::vector<MPI_Status> statuses;
  wait_all(requests, statuses, options_, Pending::kCancel, [&](const std::vector<bool>& pending) {
    std::string m = where(x.tag) + ":";
    std::size_t i = 0;
    if (recv) {
      if (pending[i]) {
        m += " no data from peer rank " + std::to_string(x.recv_from) + " (waiting to receive " +
             std::to_string(want_bytes) + " bytes)";
      }
      ++i;
    }
    if (send && pending[i]) {
      m += std::string(recv && pending[0] ? " and" : "") + " peer rank " + std::to_string(x.send_to) +
           " did not take " + std::to_string(x.send.size_bytes()) + " bytes";
    }
    return m;
  });
  if (recv) {
    const MPI_Status& st = statuses[0];
    if (st.MPI_ERROR == MPI_ERR_TRUNCATE) {
      throw PeerError(where(x.tag) + ": message size mismatch from rank " + std::to_string(x.recv_from) +
                      ": expected " + std::to_string(want_bytes) + " bytes, received more");
    }
    if (st.MPI_ERROR != MPI_SUCCESS && st.MPI_ERROR != MPI_ERR_PENDING) {
      throw PeerError(where(x.tag) + ": receive from rank " + std::to_string(x.recv_from) + " failed (expected " +
                      std::to_string(want_bytes) + " bytes): " + mpi_error_string(st.MPI_ERROR));
    }
    int got_bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &got_bytes);
    if (static_cast<std::size_t>(got_bytes) != want_bytes) {
      throw PeerError(where(x.tag) + ": message size mismatch from rank " + std::to_string(x.recv_from) +
                      ": expected " + std::to_string(want_bytes) + " bytes, received " + std::to_string(got_bytes) +
                      " bytes");
    }
  }
}

// Collectives work on heap copies of the caller's views: if a peer never arrives, the
// abandoned operation (MPI forbids cancelling it) may still read or write its buffers —
// the data, and for MPI_Iallgatherv the count and displacement arrays, which MPI may
// read until completion — so they are leaked instead of freed, and the caller's memory
// is never touched after the deadline.
struct MpiCommunicator::Staging {
  std::vector<unsigned char> bytes;
  std::vector<int> counts_bytes, displs_bytes;  // MPI_Iallgatherv: one per rank
};

std::unique_ptr<MpiCommunicator::Staging> MpiCommunicator::run_staged(std::unique_ptr<Staging> staging,
                                                                      const IssueStaged& issue,
                                                                      const std::string& what) {
  announce_arrival();
  std::vector<MPI_Request> requests(1);
  check_mpi(issue(*staging, requests.data()), what.c_str());
  std::vector<MPI_Status> statuses;
  try {
    wait_all(requests, statuses, options_, Pending::kAbandon, [&](const std::vector<bool>&) {
      return what + " of " + std::to_string(staging->bytes.size()) + " bytes: " + laggards();
    });
  } catch (...) {
    (void)leak_deliberately(staging);  // deliberately leaked: the abandoned collective may still use it
    throw;
  }
  return staging;
}

void MpiCommunicator::run_collective(TensorView view, const std::function<int(void* data, MPI_Request* request)>& issue,
                                     const std::string& what) {
  check_host(view, what.c_str());
  auto staging = std::make_unique<Staging>();
  staging->bytes.resize(view.size_bytes());
  if (!staging->bytes.empty()) std::memcpy(staging->bytes.data(), view.raw(), staging->bytes.size());
  staging = run_staged(
      std::move(staging), [&](Staging& s, MPI_Request* r) { return issue(s.bytes.data(), r); }, what);
  if (!staging->bytes.empty()) std::memcpy(view.raw(), staging->bytes.data(), staging->bytes.size());
}

void MpiCommunicator::all_reduce(TensorView inout, ReduceOp op) {
  byte_count(inout.size_bytes(), "all_reduce");
  const int count_elems = static_cast<int>(inout.numel_elems());
  const MPI_Datatype type = mpi_type(inout.dtype());
  run_collective(
      inout,
      [&](void* data, MPI_Request* r) {
        return MPI_Iallreduce(MPI_IN_PLACE, data, count_elems, type, mpi_op(op), coll_, r);
      },
      "all_reduce");
}

void MpiCommunicator::enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) {
  check_host(inout, "all_reduce");
  byte_count(inout.size_bytes(), "all_reduce");
  RA_CHECK(InternalError, stream.native_handle() == nullptr, "MPI all_reduce enqueued on stream '", stream.name(),
           "': it needs a stream that runs work on a host thread (Device::create_host_stream)");
  stream.launch("all_reduce of " + std::to_string(inout.size_bytes()) + " bytes",
                [this, inout, op] { all_reduce(inout, op); });
}

void MpiCommunicator::broadcast(TensorView buf, int root) {
  const int count_bytes = byte_count(buf.size_bytes(), "broadcast");
  run_collective(
      buf, [&](void* data, MPI_Request* r) { return MPI_Ibcast(data, count_bytes, MPI_BYTE, root, coll_, r); },
      "broadcast from rank " + std::to_string(root));
}

void MpiCommunicator::all_gather(ConstTensorView send, TensorView recv) { all_gather_named(send, recv, "all_gather"); }

// In place: this rank's block is staged where the gather puts it, so MPI reads nothing
// of the caller's after the deadline either.
void MpiCommunicator::all_gather_named(ConstTensorView send, TensorView recv, const std::string& what) {
  check_host(send, (what + " send").c_str());
  check_host(recv, (what + " recv").c_str());
  RA_CHECK_EQ(InternalError, dtype_name(send.dtype()), dtype_name(recv.dtype()), what, ": send vs receive dtype");
  const std::size_t block_bytes = send.size_bytes();
  RA_CHECK_EQ(InternalError, recv.size_bytes(), block_bytes * static_cast<std::size_t>(size_), what,
              ": receive bytes vs ", size_, " ranks x ", block_bytes, " send bytes");
  byte_count(recv.size_bytes(), what.c_str());  // the whole result must fit MPI's int counts
  const int block_count_bytes = static_cast<int>(block_bytes);
  auto staging = std::make_unique<Staging>();
  staging->bytes.resize(recv.size_bytes());
  if (block_bytes > 0) {
    std::memcpy(staging->bytes.data() + static_cast<std::size_t>(rank_) * block_bytes, send.raw(), block_bytes);
  }
  staging = run_staged(
      std::move(staging),
      [&](Staging& s, MPI_Request* r) {
        return MPI_Iallgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s.bytes.data(), block_count_bytes, MPI_BYTE, coll_,
                              r);
      },
      what);
  if (!staging->bytes.empty()) std::memcpy(recv.raw(), staging->bytes.data(), staging->bytes.size());
}

GatheredBytes MpiCommunicator::all_gather_v(ConstTensorView send) {
  check_host(send, "all_gather_v send");
  // MPI_Iallgatherv needs every rank's count on every rank: the sizes go first.
  const auto p = static_cast<std::size_t>(size_);
  const auto mine_bytes = static_cast<std::int64_t>(send.size_bytes());
  std::vector<std::int64_t> sizes_bytes(p);
  all_gather_named(
      ConstTensorView(&mine_bytes, DType::kU8, Shape{sizeof(std::int64_t)}),
      TensorView(sizes_bytes.data(), DType::kU8, Shape{static_cast<std::int64_t>(p * sizeof(std::int64_t))}),
      "all_gather_v sizes");
  auto staging = std::make_unique<Staging>();
  std::size_t total_bytes = 0;
  for (std::size_t r = 0; r < p; ++r) {
    staging->displs_bytes.push_back(static_cast<int>(total_bytes));
    staging->counts_bytes.push_back(static_cast<int>(sizes_bytes[r]));
    total_bytes += static_cast<std::size_t>(sizes_bytes[r]);
    byte_count(total_bytes, "all_gather_v");  // every displacement and the total fit MPI's int counts
  }
  staging->bytes.resize(total_bytes);
  const auto me = static_cast<std::size_t>(rank_);
  if (mine_bytes > 0) {
    std::memcpy(staging->bytes.data() + static_cast<std::size_t>(staging->displs_bytes[me]), send.raw(),
                static_cast<std::size_t>(mine_bytes));
  }
  staging = run_staged(
      std::move(staging),
      [&](Staging& s, MPI_Request* r) {
        return MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s.bytes.data(), s.counts_bytes.data(),
                               s.displs_bytes.data(), MPI_BYTE, coll_, r);
      },
      "all_gather_v");
  GatheredBytes out(p);
  for (std::size_t r = 0; r < p; ++r) {
    const auto* begin =
        reinterpret_cast<const std::byte*>(staging->bytes.data()) + static_cast<std::size_t>(staging->displs_bytes[r]);
    out[r].assign(begin, begin + static_cast<std::size_t>(staging->counts_bytes[r]));
  }
  return out;
}

void MpiCommunicator::barrier() {
  announce_arrival();
  std::vector<MPI_Request> requests(1);
  check_mpi(MPI_Ibarrier(coll_, requests.data()), "MPI_Ibarrier");
  std::vector<MPI_Status> statuses;
  wait_all(requests, statuses, options_, Pending::kAbandon,
           [&](const std::vector<bool>&) { return "barrier: " + laggards(); });
}

}  // namespace ra::comm::mpi

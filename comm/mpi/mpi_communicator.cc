#include "comm/mpi/mpi_communicator.h"

#include <climits>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "comm/mpi/mpi_wait.h"
#include "runtime/core/check.h"

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

std::string where(const CommTag& tag) {
  return std::string(tag.phase) + " step " + std::to_string(tag.step) + " hop " + std::to_string(tag.hop);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm parent, CommOptions options) : options_(options) {
  int provided = 0;
  check_mpi(MPI_Query_thread(&provided), "MPI_Query_thread");
  RA_CHECK_EQ(InternalError, provided, MPI_THREAD_MULTIPLE, "MPI must be initialized with MPI_THREAD_MULTIPLE");
  // Duplication is collective: a rank that never arrives must not hang the others.
  std::vector<MPI_Request> requests(2);
  check_mpi(MPI_Comm_idup(parent, &p2p_, &requests[0]), "MPI_Comm_idup");
  check_mpi(MPI_Comm_idup(parent, &coll_, &requests[1]), "MPI_Comm_idup");
  std::vector<MPI_Status> statuses;
  wait_all(requests, statuses, options_, Pending::kAbandon, [](const std::vector<bool>&) {
    return std::string("creating the communicator: not every peer rank arrived");
  });
  // Errors come back as codes and become ra::PeerError with context, never MPI's abort.
  MPI_Comm_set_errhandler(p2p_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(coll_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(p2p_, &rank_);
  MPI_Comm_size(p2p_, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  MPI_Comm_free(&p2p_);
  MPI_Comm_free(&coll_);
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
    check_mpi(MPI_Irecv(x.recv.raw(), byte_count(want_bytes, "receive"), MPI_BYTE, x.recv_from, tag, p2p_,
                        &requests.back()),
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
      throw PeerError(where(x.tag) + ": receive from rank " +
                      std::to_string(x.recv_from) + " failed (expected " + std::to_string(want_bytes) +
                      " bytes): " + mpi_error_string(st.MPI_ERROR));
    }
    int got_bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &got_bytes);
    if (static_cast<std::size_t>(got_bytes) != want_bytes) {
      throw PeerError(where(x.tag) + ": message size mismatch from rank " +
                      std::to_string(x.recv_from) + ": expected " + std::to_string(want_bytes) +
                      " bytes, received " + std::to_string(got_bytes) + " bytes");
    }
  }
}

// Collectives work on a heap copy of the caller's view: if a peer never arrives, the
// abandoned operation (MPI forbids cancelling it) may still write, so the copy is leaked
// instead of freed, and the caller's memory is never written after the deadline.
void MpiCommunicator::run_collective(TensorView view, const std::function<int(void* data, MPI_Request* request)>& issue,
                                     const std::string& what) {
  check_host(view, what.c_str());
  auto staging = std::make_unique<std::vector<unsigned char>>(view.size_bytes());
  if (!staging->empty()) std::memcpy(staging->data(), view.raw(), staging->size());
  std::vector<MPI_Request> requests(1);
  check_mpi(issue(staging->data(), requests.data()), what.c_str());
  std::vector<MPI_Status> statuses;
  try {
    wait_all(requests, statuses, options_, Pending::kAbandon, [&](const std::vector<bool>&) {
      return what + " of " + std::to_string(view.size_bytes()) + " bytes: not every peer rank of " +
             std::to_string(size_) + " joined";
    });
  } catch (...) {
    (void)staging.release();  // deliberately leaked: the abandoned collective may still write to it
    throw;
  }
  if (!staging->empty()) std::memcpy(view.raw(), staging->data(), staging->size());
}

void MpiCommunicator::all_reduce(TensorView inout, ReduceOp op) {
  byte_count(inout.size_bytes(), "all_reduce");
  const int count_elems = static_cast<int>(inout.numel_elems());
  const MPI_Datatype type = mpi_type(inout.dtype());
  run_collective(inout, [&](void* data, MPI_Request* r) {
    return MPI_Iallreduce(MPI_IN_PLACE, data, count_elems, type, mpi_op(op), coll_, r);
  }, "all_reduce");
}

void MpiCommunicator::broadcast(TensorView buf, int root) {
  const int count_bytes = byte_count(buf.size_bytes(), "broadcast");
  run_collective(buf, [&](void* data, MPI_Request* r) {
    return MPI_Ibcast(data, count_bytes, MPI_BYTE, root, coll_, r);
  }, "broadcast from rank " + std::to_string(root));
}

void MpiCommunicator::barrier() {
  std::vector<MPI_Request> requests(1);
  check_mpi(MPI_Ibarrier(coll_, requests.data()), "MPI_Ibarrier");
  std::vector<MPI_Status> statuses;
  wait_all(requests, statuses, options_, Pending::kAbandon, [&](const std::vector<bool>&) {
    return "barrier: not every peer rank of " + std::to_string(size_) + " arrived";
  });
}

}  // namespace ra::comm::mpi

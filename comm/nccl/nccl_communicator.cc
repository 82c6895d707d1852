#include "comm/nccl/nccl_communicator.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "comm/nccl/host/bounded_call.h"
#include "comm/nccl/host/nccl_types.h"
#include "comm/nccl/host/op_report.h"
#include "comm/nccl/in_flight_ops.h"
#include "comm/nccl/nccl_bootstrap.h"
#include "comm/nccl/nccl_check.h"
#include "runtime/core/check.h"
#include "runtime/core/poll_backoff.h"
#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_stream.h"

// The received-size check. An NCCL receive cannot report how many bytes arrived, and a
// send/receive pair whose counts disagree is undefined: NCCL may complete with part of
// the data or hang. So every hop sends, in the same group and to the same peer, an int64
// header holding its byte count before its payload (NCCL runs same-peer operations of a
// group in order, so header meets header and payload meets payload). The received
// header is copied to pinned host memory after the group, in stream order, and the
// wait monitor compares it with the receive view's size as soon as the hop's done event
// completes, i.e. at the latest when the stream is next synchronized: a mismatch is the
// PeerError "expected X bytes, received Y bytes". If the mismatch makes NCCL hang
// instead, the hop's deadline fires with a message naming its peers and sizes. The cost
// is 8 bytes and no extra launch per hop; checking sizes over MPI instead would add a
// host round trip per hop, and checking once per (phase, peer) would miss a bad hop.

namespace ra::comm::nccl {
namespace {

void check_device_view(const ConstTensorView& t, const char* what) {
  RA_CHECK_EQ(InternalError, static_cast<int>(t.device()), static_cast<int>(DeviceKind::kCuda), what,
              ": the NCCL communicator needs CUDA device memory");
}

// The first failure of a sequence of NCCL calls (ncclInProgress from ncclGroupEnd included).
ncclResult_t first_failure(ncclResult_t so_far, ncclResult_t next) { return so_far != ncclSuccess ? so_far : next; }

// One hop as one group: [header, payload] to send_to, [header, payload] from recv_from.
ncclResult_t enqueue_hop(ncclComm_t comm, cudaStream_t stream, const OpRecord& op, const void* send_data,
                         void* recv_data, const InFlightOps::Slot& slot) {
  ncclResult_t r = ncclGroupStart();
  if (r != ncclSuccess) return r;
  if (op.send_to >= 0) {
    r = first_failure(r, ncclSend(slot.device_send_bytes, 1, ncclInt64, op.send_to, comm, stream));
    r = first_failure(
        r, ncclSend(send_data, static_cast<std::size_t>(op.send_bytes), ncclUint8, op.send_to, comm, stream));
  }
  if (op.recv_from >= 0) {
    r = first_failure(r, ncclRecv(slot.device_recv_bytes, 1, ncclInt64, op.recv_from, comm, stream));
    r = first_failure(
        r, ncclRecv(recv_data, static_cast<std::size_t>(op.recv_bytes), ncclUint8, op.recv_from, comm, stream));
  }
  return first_failure(r, ncclGroupEnd());  // always closes the group
}

// The state of a nonblocking communicator: ncclInProgress until its last call settled.
ncclResult_t async_state(ncclComm_t comm) {
  ncclResult_t state = ncclSuccess;
  const ncclResult_t r = ncclCommGetAsyncError(comm, &state);
  return r != ncclSuccess ? r : state;
}

ncclConfig_t nonblocking_config() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // no NCCL call blocks the host; settle() polls with a deadline
  return config;
}

void abort_bounded(ncclComm_t comm, std::chrono::milliseconds limit) {
  if (comm != nullptr) run_bounded([comm] { ncclCommAbort(comm); }, limit);
}

}  // namespace

NcclCommunicator::NcclCommunicator(MPI_Comm mpi, CommOptions options, device::cuda::CudaDevice& device,
                                   NcclOptions nccl_options)
    : options_(options), nccl_options_(nccl_options), device_(device) {
  MPI_Comm_rank(mpi, &rank_);
  MPI_Comm_size(mpi, &size_);
  const ncclUniqueId id = share_unique_id(mpi, options_);
  device_.make_current();
  ncclConfig_t config = nonblocking_config();
  ncclComm_t comm = nullptr;
  const ncclResult_t r = ncclCommInitRankConfig(&comm, size_, id, rank_, &config);
  {
    std::lock_guard<std::mutex> lock(handle_mu_);
    comm_ = comm;
  }
  OpRecord setup;
  setup.kind = OpKind::kSetup;
  settle(r, setup);  // on failure it has aborted comm_ already
  start();
}

NcclCommunicator::NcclCommunicator(Adopted adopted, CommOptions options, device::cuda::CudaDevice& device,
                                   NcclOptions nccl_options)
    : options_(options), nccl_options_(nccl_options), device_(device), comm_(adopted.comm) {
  ncclResult_t r = ncclCommUserRank(comm_, &rank_);
  r = first_failure(r, ncclCommCount(comm_, &size_));
  if (r != ncclSuccess) {
    const std::string text = nccl_error_text(r, comm_);
    abort_bounded(std::exchange(comm_, nullptr), nccl_options_.abort_timeout);
    throw InternalError("NCCL communicator split: querying rank and size failed: " + text);
  }
  start();
}

void NcclCommunicator::start() {
  try {
    coll_stream_ = device_.create_stream("nccl collectives");
    barrier_word_ = device_.allocate(sizeof(std::int32_t));
    ops_ = std::make_unique<InFlightOps>(device_, nccl_options_.in_flight_slots);
  } catch (...) {
    std::lock_guard<std::mutex> lock(handle_mu_);
    abort_locked();
    throw;
  }
  registration_ = device_.add_wait_monitor(*this);
}

NcclCommunicator::~NcclCommunicator() {
  registration_ = {};  // waits out a check() in progress on another thread
  {
    std::lock_guard<std::mutex> lock(handle_mu_);
    if (comm_ == nullptr) return;  // aborted after a failure
    // Unwinding an exception (this rank failed): peers may never finalize with us.
    if (std::uncaught_exceptions() > uncaught_at_construction_) {
      abort_locked();
      return;
    }
  }
  try {
    OpRecord shutdown;
    shutdown.kind = OpKind::kShutdown;
    issue(shutdown, [](ncclComm_t c) { return ncclCommFinalize(c); });
    std::lock_guard<std::mutex> lock(handle_mu_);
    ncclCommDestroy(std::exchange(comm_, nullptr));  // local once finalized
  } catch (...) {                                    // a destructor reports nothing: settle() has aborted already
    std::lock_guard<std::mutex> lock(handle_mu_);
    abort_locked();
  }
}

ncclResult_t NcclCommunicator::call(const std::function<ncclResult_t(ncclComm_t)>& fn) {
  std::lock_guard<std::mutex> lock(handle_mu_);
  if (comm_ == nullptr) {
    if (failure_) std::rethrow_exception(failure_);
    throw InternalError("NCCL communicator used after it was shut down");
  }
  return fn(comm_);
}

void NcclCommunicator::settle(ncclResult_t first, const OpRecord& op, ncclComm_t also) {
  // True while pending; a failure aborts and throws.
  const auto pending = [&](ncclResult_t state, ncclComm_t comm) {
    switch (classify(from_nccl(state))) {
      case NcclOutcome::kDone: return false;
      case NcclOutcome::kInProgress: return true;
      case NcclOutcome::kPeerFailure: fail_peer(async_error_message(rank_, op, nccl_error_text(state, comm)));
      case NcclOutcome::kInternalFailure: fail_internal(async_error_message(rank_, op, nccl_error_text(state, comm)));
    }
    return false;
  };
  if (!pending(first, nullptr) && also == nullptr) return;
  using Clock = std::chrono::steady_clock;
  const auto begin = Clock::now();
  PollBackoff backoff(options_.poll_interval);  // 10 µs first, growing by a quarter to poll_interval
  for (;;) {
    bool waiting = pending(call(async_state), nullptr);
    if (also != nullptr) waiting = pending(async_state(also), also) || waiting;
    if (!waiting) return;
    const auto elapsed = Clock::now() - begin;
    if (elapsed >= options_.timeout) fail_peer(stall_message(rank_, size_, op, elapsed, options_.timeout));
    std::this_thread::sleep_for(backoff.next());
  }
}

void NcclCommunicator::issue(const OpRecord& op, const std::function<ncclResult_t(ncclComm_t)>& fn) {
  std::lock_guard<std::mutex> lock(issue_mu_);
  settle(call(fn), op);
}

void NcclCommunicator::fail_peer(const std::string& message) { fail(std::make_exception_ptr(PeerError(message))); }

void NcclCommunicator::fail_internal(const std::string& message) {
  fail(std::make_exception_ptr(InternalError(message)));
}

void NcclCommunicator::fail(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(handle_mu_);
    if (!failure_) {
      failure_ = std::move(error);
      abort_locked();
      device_.mark_failed();
    }
    error = failure_;
  }
  std::rethrow_exception(error);  // the first failure, whichever thread meets it
}

void NcclCommunicator::abort_locked() { abort_bounded(std::exchange(comm_, nullptr), nccl_options_.abort_timeout); }

void NcclCommunicator::check() {
  std::string text;
  const ncclResult_t state = call([&](ncclComm_t c) {
    const ncclResult_t s = async_state(c);
    if (s != ncclSuccess && s != ncclInProgress) text = nccl_error_text(s, c);
    return s;
  });
  const NcclOutcome outcome = classify(from_nccl(state));
  // Every asynchronous error is a failed peer or network from this rank's point of view.
  if (outcome == NcclOutcome::kPeerFailure || outcome == NcclOutcome::kInternalFailure) {
    fail_peer(async_error_message(rank_, ops_->oldest(), text));
  }
  if (auto message = ops_->scan(rank_, size_, options_.timeout)) fail_peer(*message);
}

SlotReservation NcclCommunicator::reserve() {
  for (;;) {
    const InFlightOps::Attempt attempt = ops_->try_reserve();
    if (attempt.slot != nullptr) return SlotReservation(*ops_, *attempt.slot);
    if (attempt.busy != nullptr) {
      // Every slot is in flight: wait for the oldest. The wait runs check(), which
      // enforces its deadline and frees it.
      attempt.busy->synchronize();
      check();
    } else {
      std::this_thread::sleep_for(options_.poll_interval);  // another thread is filling it
    }
  }
}

std::unique_ptr<Communicator> NcclCommunicator::split(int color, int key) {
  RA_CHECK_GE(UsageError, color, 0, "communicator split color (NCCL takes non-negative colors)");
  check();
  device_.make_current();
  ncclConfig_t config = nonblocking_config();
  ncclComm_t sub = nullptr;
  OpRecord op;
  op.kind = OpKind::kSplit;
  try {
    std::lock_guard<std::mutex> lock(issue_mu_);
    const ncclResult_t r = call([&](ncclComm_t c) { return ncclCommSplit(c, color, key, &sub, &config); });
    settle(r, op, sub);
  } catch (...) {
    abort_bounded(sub, nccl_options_.abort_timeout);
    throw;
  }
  return std::unique_ptr<Communicator>(new NcclCommunicator(Adopted{sub}, options_, device_, nccl_options_));
}

void NcclCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  OpRecord op;
  op.kind = OpKind::kExchange;
  op.tag = x.tag;
  if (!x.recv.empty() && x.recv_from >= 0) {
    check_device_view(x.recv, "exchange recv");
    RA_CHECK_LT(InternalError, x.recv_from, size_, "exchange peer");
    op.recv_from = x.recv_from;
    op.recv_bytes = static_cast<std::int64_t>(x.recv.size_bytes());
  }
  if (!x.send.empty() && x.send_to >= 0) {
    check_device_view(x.send, "exchange send");
    RA_CHECK_LT(InternalError, x.send_to, size_, "exchange peer");
    op.send_to = x.send_to;
    op.send_bytes = static_cast<std::int64_t>(x.send.size_bytes());
  }
  if (op.recv_from < 0 && op.send_to < 0) return;
  enqueue_watched(op, stream, [&](InFlightOps::Slot& slot, cudaStream_t s) {
    *slot.host_send_bytes = op.send_bytes;
    if (op.send_to >= 0) {
      RA_CUDA_CHECK(cudaMemcpyAsync(slot.device_send_bytes, slot.host_send_bytes, sizeof(std::int64_t),
                                    cudaMemcpyHostToDevice, s));
    }
    issue(op, [&](ncclComm_t c) { return enqueue_hop(c, s, op, x.send.raw(), x.recv.raw(), slot); });
    if (op.recv_from >= 0) {
      RA_CUDA_CHECK(cudaMemcpyAsync(slot.host_recv_bytes, slot.device_recv_bytes, sizeof(std::int64_t),
                                    cudaMemcpyDeviceToHost, s));
    }
  });
}

void NcclCommunicator::enqueue_watched(const OpRecord& op, device::Stream& stream,
                                       const std::function<void(InFlightOps::Slot&, cudaStream_t)>& enqueue) {
  check();  // report an earlier failure before queueing more work behind it
  device::cuda::CudaStream& cuda_stream = device::cuda::as_cuda(stream);
  device_.make_current();
  SlotReservation reservation = reserve();
  InFlightOps::Slot& slot = reservation.slot();
  slot.op = op;
  cuda_stream.record(*slot.start);
  enqueue(slot, cuda_stream.native());
  cuda_stream.record(*slot.done);
  reservation.commit();
}

void NcclCommunicator::run_collective(const OpRecord& op, TensorView view, StageIn stage_in,
                                      const std::function<void(void* data, cudaStream_t stream)>& enqueue) {
  if (view.numel_elems() == 0) return;  // counts come from the views: every rank has none
  check();
  std::lock_guard<std::mutex> lock(coll_mu_);
  device_.make_current();
  device::cuda::CudaStream& stream = device::cuda::as_cuda(*coll_stream_);
  const cudaStream_t s = stream.native();
  const std::size_t bytes = view.size_bytes();
  // NCCL reads and writes device memory only: host views (a schedule table, a token
  // count) go through a device staging buffer.
  enum class Residence : std::uint8_t { kDevice, kHost };
  const Residence residence = view.device() == DeviceKind::kCuda ? Residence::kDevice : Residence::kHost;
  void* data = view.raw();
  if (residence == Residence::kHost) {
    if (!staging_ || staging_->size_bytes() < bytes) {
      staging_.reset();
      staging_ = device_.allocate(bytes);
    }
    if (stage_in == StageIn::kCopy) {
      RA_CUDA_CHECK(cudaMemcpyAsync(staging_->raw(), view.raw(), bytes, cudaMemcpyHostToDevice, s));
    }
    data = staging_->raw();
  }
  SlotReservation reservation = reserve();
  InFlightOps::Slot& slot = reservation.slot();
  slot.op = op;
  device::Event& done = *slot.done;
  stream.record(*slot.start);
  enqueue(data, s);
  stream.record(done);
  reservation.commit();
  done.synchronize();  // polls; check() enforces comm_timeout and names the collective
  check();
  if (residence == Residence::kHost) {
    RA_CUDA_CHECK(cudaMemcpyAsync(view.raw(), staging_->raw(), bytes, cudaMemcpyDeviceToHost, s));
    stream.synchronize();
  }
}

void NcclCommunicator::all_reduce(TensorView inout, ReduceOp op) {
  OpRecord record;
  record.kind = OpKind::kAllReduce;
  record.payload_bytes = static_cast<std::int64_t>(inout.size_bytes());
  const auto count_elems = static_cast<std::size_t>(inout.numel_elems());
  const ncclDataType_t type = to_nccl(nccl_type(inout.dtype()));
  const ncclRedOp_t reduce = to_nccl(nccl_red_op(op));
  run_collective(record, inout, StageIn::kCopy, [&](void* data, cudaStream_t s) {
    issue(record, [&](ncclComm_t c) { return ncclAllReduce(data, data, count_elems, type, reduce, c, s); });
  });
}

void NcclCommunicator::enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) {
  if (inout.numel_elems() == 0) return;  // counts come from the views: every rank has none
  check_device_view(inout, "all_reduce");
  OpRecord record;
  record.kind = OpKind::kAllReduce;
  record.payload_bytes = static_cast<std::int64_t>(inout.size_bytes());
  const auto count_elems = static_cast<std::size_t>(inout.numel_elems());
  const ncclDataType_t type = to_nccl(nccl_type(inout.dtype()));
  const ncclRedOp_t reduce = to_nccl(nccl_red_op(op));
  void* data = inout.raw();
  enqueue_watched(record, stream, [&](InFlightOps::Slot&, cudaStream_t s) {
    issue(record, [&](ncclComm_t c) { return ncclAllReduce(data, data, count_elems, type, reduce, c, s); });
  });
}

void NcclCommunicator::broadcast(TensorView buf, int root) {
  RA_CHECK(InternalError, root >= 0 && root < size_, "broadcast root ", root, " of ", size_, " ranks");
  OpRecord record;
  record.kind = OpKind::kBroadcast;
  record.payload_bytes = static_cast<std::int64_t>(buf.size_bytes());
  record.root = root;
  const std::size_t bytes = buf.size_bytes();
  run_collective(record, buf, StageIn::kCopy, [&](void* data, cudaStream_t s) {
    issue(record, [&](ncclComm_t c) { return ncclBroadcast(data, data, bytes, ncclUint8, root, c, s); });
  });
}

void NcclCommunicator::gather_blocks(const OpRecord& op, const void* send, std::size_t send_bytes,
                                     std::size_t block_bytes, TensorView recv) {
  RA_CHECK_LE(InternalError, send_bytes, block_bytes, "all_gather: send bytes vs block bytes");
  run_collective(op, recv, StageIn::kSkip, [&](void* data, cudaStream_t s) {
    // In place (NCCL's in-place all-gather: sendbuff == recvbuff + rank * sendcount):
    // this rank's block is put where the gather leaves it. cudaMemcpyDefault: the send
    // view may be host or device memory (unified addressing).
    auto* mine = static_cast<unsigned char*>(data) + static_cast<std::size_t>(rank_) * block_bytes;
    if (send_bytes > 0) RA_CUDA_CHECK(cudaMemcpyAsync(mine, send, send_bytes, cudaMemcpyDefault, s));
    // Padding is zeroed so that the received blocks never carry stale device memory.
    if (block_bytes > send_bytes) RA_CUDA_CHECK(cudaMemsetAsync(mine + send_bytes, 0, block_bytes - send_bytes, s));
    issue(op, [&](ncclComm_t c) { return ncclAllGather(mine, data, block_bytes, ncclUint8, c, s); });
  });
}

void NcclCommunicator::all_gather(ConstTensorView send, TensorView recv) {
  RA_CHECK_EQ(InternalError, dtype_name(send.dtype()), dtype_name(recv.dtype()), "all_gather: send vs receive dtype");
  const std::size_t block_bytes = send.size_bytes();
  RA_CHECK_EQ(InternalError, recv.size_bytes(), block_bytes * static_cast<std::size_t>(size_),
              "all_gather: receive bytes vs ", size_, " ranks x ", block_bytes, " send bytes");
  OpRecord record;
  record.kind = OpKind::kAllGather;
  record.payload_bytes = static_cast<std::int64_t>(block_bytes);
  gather_blocks(record, send.raw(), block_bytes, block_bytes, recv);
}

GatheredBytes NcclCommunicator::all_gather_v(ConstTensorView send) {
  const auto p = static_cast<std::size_t>(size_);
  const auto mine_bytes = static_cast<std::int64_t>(send.size_bytes());
  std::vector<std::int64_t> sizes_bytes(p);
  OpRecord sizes;
  sizes.kind = OpKind::kAllGather;
  sizes.payload_bytes = sizeof(std::int64_t);
  gather_blocks(sizes, &mine_bytes, sizeof(std::int64_t), sizeof(std::int64_t),
                TensorView(sizes_bytes.data(), DType::kU8, Shape{static_cast<std::int64_t>(p * sizeof(std::int64_t))}));
  const std::int64_t block_bytes = *std::max_element(sizes_bytes.begin(), sizes_bytes.end());
  const auto block = static_cast<std::size_t>(block_bytes);
  std::vector<std::byte> table(p * block);
  OpRecord data;
  data.kind = OpKind::kAllGather;
  data.payload_bytes = block_bytes;
  gather_blocks(data, send.raw(), send.size_bytes(), block,
                TensorView(table.data(), DType::kU8, Shape{static_cast<std::int64_t>(table.size())}));
  GatheredBytes out(p);
  for (std::size_t r = 0; r < p; ++r) {
    const auto first = table.begin() + static_cast<std::ptrdiff_t>(r * block);
    out[r].assign(first, first + static_cast<std::ptrdiff_t>(sizes_bytes[r]));
  }
  return out;
}

// NCCL has no barrier: an all-reduce of one int32 is one.
void NcclCommunicator::barrier() {
  OpRecord record;
  record.kind = OpKind::kBarrier;
  run_collective(record, barrier_word_->view(DType::kI32, Shape{1}), StageIn::kCopy, [&](void* data, cudaStream_t s) {
    issue(record, [&](ncclComm_t c) { return ncclAllReduce(data, data, 1, ncclInt32, ncclSum, c, s); });
  });
}

}  // namespace ra::comm::nccl

// Communicator over NCCL on CUDA device buffers (docs/design.md §4), bootstrapped over MPI.
//
// Every wait has a deadline. The NCCL communicator is created nonblocking, so no NCCL
// call blocks the host: a call that returns ncclInProgress is polled (ncclCommGet-
// AsyncError, one poll_interval apart) until it settles or comm_timeout passes. Work on
// the device is watched by this communicator's WaitMonitor, which every host wait on
// the CUDA device runs between its polls: an asynchronous NCCL error, a receive whose
// size header disagrees with its view, or an operation running longer than comm_timeout
// aborts the NCCL communicator (ncclCommAbort, itself given at most abort_timeout) and
// throws ra::PeerError with one line naming rank, phase/step/hop, peer, bytes, elapsed
// and deadline. From then on every call rethrows that first failure.
//
// Exchanges (on the caller's stream) and collectives (host-blocking, on an internal
// stream) share one NCCL communicator, whose operations NCCL runs in the order they
// were issued: every rank must issue them in the same order, as the ring executor does
// from its one host thread.
#pragma once

#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

#include "comm/communicator.h"
#include "comm/nccl/host/op_record.h"
#include "comm/nccl/in_flight_ops.h"
#include "runtime/device/cuda/cuda_device.h"
#include "runtime/device/cuda/host/wait_monitor.h"

namespace ra::comm::nccl {

class InFlightOps;
class SlotReservation;

struct NcclOptions {
  // ncclCommAbort can itself hang on a broken network; past this we stop waiting for it
  // and report the failure anyway (the process is about to exit).
  std::chrono::milliseconds abort_timeout{std::chrono::seconds(5)};
  // Operations in flight at once (events and size headers are preallocated per slot).
  // The ring keeps a few; an exchange beyond this waits for the oldest to complete.
  int in_flight_slots = 64;
};

class NcclCommunicator final : public Communicator, private device::cuda::WaitMonitor {
 public:
  // Collective over `mpi` (the caller keeps it; no other collective may be in flight on
  // it meanwhile). `device` must outlive the communicator.
  NcclCommunicator(MPI_Comm mpi, CommOptions options, device::cuda::CudaDevice& device, NcclOptions nccl_options = {});
  // Healthy: ncclCommFinalize (bounded by comm_timeout) + ncclCommDestroy. Destroyed
  // while an exception unwinds, or after a failure: abort, never wait on peers.
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  // ncclCommSplit; colors must be non-negative.
  std::unique_ptr<Communicator> split(int color, int key) override;
  void exchange(const Exchange& x, device::Stream& stream) override;
  // Device views, or host views (staged through device memory).
  void all_reduce(TensorView inout, ReduceOp op) override;
  // ncclAllReduce in place on the caller's CUDA stream (device views only), watched for
  // its deadline like an exchange.
  void enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) override;
  void broadcast(TensorView buf, int root) override;
  // ncclAllGather, in place on the receive view (or its device staging copy).
  void all_gather(ConstTensorView send, TensorView recv) override;
  // NCCL has no all-gather-v: an all-gather of the sizes, then one ncclAllGather of
  // blocks zero-padded to the largest (two launches, however many ranks).
  GatheredBytes all_gather_v(ConstTensorView send) override;
  void barrier() override;
  const CommOptions& options() const override { return options_; }
  void set_options(const CommOptions& options) override { options_ = options; }

 private:
  struct Adopted {
    ncclComm_t comm;
  };
  NcclCommunicator(Adopted adopted, CommOptions options, device::cuda::CudaDevice& device, NcclOptions nccl_options);
  void start();

  // WaitMonitor: async errors, size headers of completed hops, deadlines.
  void check() override;

  // Runs fn on the live NCCL communicator, under handle_mu_; rethrows the first
  // failure once it was aborted.
  ncclResult_t call(const std::function<ncclResult_t(ncclComm_t)>& fn);
  // Waits (polling, with the comm_timeout deadline) until a nonblocking NCCL call that
  // returned `first` has settled; also polls `also` (a communicator being split off).
  void settle(ncclResult_t first, const OpRecord& op, ncclComm_t also = nullptr);
  // Issues one NCCL operation (serialized with every other) and settles it.
  void issue(const OpRecord& op, const std::function<ncclResult_t(ncclComm_t)>& fn);
  [[noreturn]] void fail_peer(const std::string& message);
  [[noreturn]] void fail_internal(const std::string& message);
  [[noreturn]] void fail(std::exception_ptr error);
  void abort_locked();  // with handle_mu_ held

  SlotReservation reserve();
  // One operation on the caller's CUDA stream, watched like every in-flight op: a slot's
  // start and done events around what `enqueue` issues on the stream.
  void enqueue_watched(const OpRecord& op, device::Stream& stream,
                       const std::function<void(InFlightOps::Slot&, cudaStream_t)>& enqueue);
  // Whether a host view's contents go to the device staging buffer before the
  // collective: a reduction or broadcast reads them, an all-gather only writes them.
  enum class StageIn : std::uint8_t { kCopy, kSkip };
  // Host-blocking collective on the internal stream: `enqueue(data, stream)` issues it on
  // the device address of `view`'s data.
  void run_collective(const OpRecord& op, TensorView view, StageIn stage_in,
                      const std::function<void(void* data, cudaStream_t stream)>& enqueue);
  // All-gather of `send_bytes` from `send` (host or device) on every rank into blocks of
  // `block_bytes` >= send_bytes each (zero-padded), in rank order, in `recv`.
  void gather_blocks(const OpRecord& op, const void* send, std::size_t send_bytes, std::size_t block_bytes,
                     TensorView recv);

  CommOptions options_;
  NcclOptions nccl_options_;
  device::cuda::CudaDevice& device_;
  int rank_ = 0, size_ = 1;
  const int uncaught_at_construction_ = std::uncaught_exceptions();

  // Guards comm_ and failure_. Held for each NCCL call (all return at once on a
  // nonblocking communicator) and by the abort, so no call ever uses an aborted handle.
  std::mutex handle_mu_;
  ncclComm_t comm_ = nullptr;
  std::exception_ptr failure_;

  std::mutex issue_mu_;  // one NCCL operation issued and settled at a time
  std::mutex coll_mu_;   // one collective at a time: they share the stream and staging buffer
  std::unique_ptr<device::Stream> coll_stream_;
  std::unique_ptr<device::DeviceBuffer> staging_, barrier_word_;
  std::unique_ptr<InFlightOps> ops_;
  device::cuda::WaitMonitorRegistration registration_;  // last member: unregistered first
};

}  // namespace ra::comm::nccl

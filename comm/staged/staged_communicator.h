// The staged transport (docs/design.md §4, "Staged"): a Communicator over device memory
// that stages every message through host memory and hands it to an inner host-memory
// communicator (MPI). For users without NCCL, and for P ranks sharing one GPU.
//
//   exchange   enqueued as ONE piece of work on the stream it is given — which must run
//              work on a host thread (Device::create_host_stream): copy the send view to
//              host, the inner exchange between the staging buffers (run right there, on
//              that thread), copy the received bytes to the receive view. A stream
//              with a native handle (a CUDA stream) is refused with ra::InternalError:
//              its waits would not hold the hop back. On the CUDA
//              device that host-worker comm stream runs beside the compute stream's
//              kernels, so the hop overlaps compute as it does with NCCL.
//   collectives  blocking on the calling thread: staged in, inner collective, staged out.
//
// Views of the stager's kind are staged; host views (kCpu) of a device stager go to the
// inner communicator unchanged. Errors are the inner communicator's: a wrong-sized
// message, a silent peer past the deadline are its ra::PeerError, word for word.
//
// Staging buffers are reused (grow-only): for exchanges one send and one receive buffer
// per stream (a stream runs its exchanges one at a time), for collectives one per
// direction, used under a lock. A buffer an inner exchange may still hold after it
// failed (a send MPI could not cancel) is deliberately leaked, never reused or freed.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "comm/communicator.h"
#include "comm/staged/stager.h"

namespace ra::comm::staged {

class StagedCommunicator final : public Communicator {
 public:
  // The inner communicator works on host memory and enqueues its exchanges with
  // Stream::launch only (MpiCommunicator does). Owning:
  StagedCommunicator(std::unique_ptr<Communicator> inner, std::shared_ptr<Stager> stager);
  // Borrowing: `inner` must outlive this communicator (tests wrap the world this way).
  StagedCommunicator(Communicator& inner, std::shared_ptr<Stager> stager);
  ~StagedCommunicator() override;
  StagedCommunicator(const StagedCommunicator&) = delete;
  StagedCommunicator& operator=(const StagedCommunicator&) = delete;

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  // A staged communicator over the inner split, sharing the stager.
  std::unique_ptr<Communicator> split(int color, int key) override;
  void exchange(const Exchange& x, device::Stream& stream) override;
  void all_reduce(TensorView inout, ReduceOp op) override;
  // Launched on the stream (a host-worker one, as for exchange): staged in, the inner
  // all_reduce, staged out, on the stream's thread.
  void enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) override;
  void broadcast(TensorView buf, int root) override;
  void all_gather(ConstTensorView send, TensorView recv) override;
  GatheredBytes all_gather_v(ConstTensorView send) override;
  void barrier() override { inner_->barrier(); }
  const CommOptions& options() const override { return inner_->options(); }
  void set_options(const CommOptions& options) override { inner_->set_options(options); }

  Communicator& inner() { return *inner_; }

  // A reusable staging buffer: grows to the largest size asked for, never shrinks.
  class GrowingBuffer {
   public:
    // Host memory of at least `size_bytes` (null for 0 bytes).
    void* reserve(Stager& stager, std::size_t size_bytes);
    // Gives the memory up without freeing it (an abandoned transfer may still use it).
    void leak();

   private:
    std::unique_ptr<StagingBuffer> buffer_;
  };

 private:
  struct ExchangeBuffers {
    GrowingBuffer send, recv;
  };

  bool staged(const ConstTensorView& view, const char* what) const;
  ExchangeBuffers& exchange_buffers(const device::Stream& stream);
  void exchange_now(const Exchange& x, ExchangeBuffers& buffers);

  std::unique_ptr<Communicator> owned_;
  Communicator* inner_;
  std::shared_ptr<Stager> stager_;
  std::mutex exchange_mu_;  // guards the map, not the buffers (each used by its stream only)
  std::map<const device::Stream*, std::unique_ptr<ExchangeBuffers>> exchange_buffers_;
  std::mutex collective_mu_;  // collectives block their caller: one at a time
  GrowingBuffer to_host_, to_device_;
};

}  // namespace ra::comm::staged

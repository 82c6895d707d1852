// The Communicator (docs/design.md §4): rank/size/split, ring exchanges of typed views
// enqueued on a stream, and host-blocking collectives (reduce, broadcast, all-gather of
// equal and of variable sizes). Counts come from the views, never from raw integers;
// compositions of these (a broadcast whose size only the root knows) live in
// comm/collectives.h. Every wait has a deadline (CommOptions::timeout): a stalled
// peer becomes an ra::PeerError (exit code 4) naming step, hop, peer, bytes, elapsed
// and deadline — never a hang.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/tensor_view.h"
#include "runtime/device/device.h"

namespace ra::comm {

struct CommOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};  // `comm_timeout`
  // How long a waiting thread sleeps between polls. docs/design.md §4: a thread that polls
  // faster (or blocks in MPI_Wait) steals the compute core of a 2-rank-per-2-core host.
  std::chrono::microseconds poll_interval{1000};
};

// Where an exchange belongs in the ring, for error messages and traces.
struct CommTag {
  const char* phase = "";  // "fwd kv", "bwd kv", "bwd dkv", "bwd dkv return"
  int step = -1;           // ring step the data is for
  int hop = -1;            // hop number within the phase
};

// One hop: send `send` to rank `send_to` and receive into `recv` from `recv_from`.
// Either side may be absent (empty view, peer -1). The receive must deliver exactly
// recv.size_bytes() bytes; anything else is a PeerError naming both sizes.
struct Exchange {
  ConstTensorView send;
  int send_to = -1;
  TensorView recv;
  int recv_from = -1;
  CommTag tag;
};

enum class ReduceOp : std::uint8_t { kSum, kMax, kMin };

// What a variable-size all-gather returns: every rank's bytes, indexed by rank, on the host.
using GatheredBytes = std::vector<std::vector<std::byte>>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks with the same color form a group, ordered by key (MPI_Comm_split semantics).
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;

  // Enqueued on `stream`: later work on the stream sees the received data.
  virtual void exchange(const Exchange& x, device::Stream& stream) = 0;

  // Host-blocking collectives over host or device views (the implementation's kind).
  virtual void all_reduce(TensorView inout, ReduceOp op) = 0;
  // all_reduce enqueued on `stream`, like exchange(): the caller does not wait; work
  // launched later on the stream sees the result, and a failure (a stalled peer past the
  // deadline) poisons the stream. The stream must be of the kind the transport enqueues
  // on: a CUDA stream for NCCL, a stream that runs work on a host thread
  // (Device::create_host_stream; every CPU stream) for MPI and the staged transport.
  // Every rank enqueues its reductions in the same order; they may run concurrently with
  // host-blocking collectives only on another communicator (split one off for them).
  virtual void enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) = 0;
  virtual void broadcast(TensorView buf, int root) = 0;
  // Equal sizes: every rank sends send.size_bytes() bytes and receives into `recv` the
  // blocks of all ranks in rank order, so recv must hold size() x send's bytes, of the
  // same dtype (an InternalError naming both sizes otherwise). Ranks whose sizes differ
  // are a schedule bug: use all_gather_v.
  virtual void all_gather(ConstTensorView send, TensorView recv) = 0;
  // Variable sizes: each rank contributes `send` (any size, zero included) and gets
  // every rank's bytes back, result[r] from rank r. The sizes are exchanged first.
  virtual GatheredBytes all_gather_v(ConstTensorView send) = 0;
  virtual void barrier() = 0;

  virtual const CommOptions& options() const = 0;
  // A job's deadlines come from its config, which rank 0 reads and broadcasts over this
  // communicator: the communicator exists before them. Call between operations only.
  virtual void set_options(const CommOptions& options) = 0;
};

}  // namespace ra::comm

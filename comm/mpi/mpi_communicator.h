// Communicator over MPI on host buffers. Point-to-point and collectives use separate
// duplicated MPI communicators so that a collective on the host thread and a ring
// exchange on the comm stream never match each other's messages.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace ra::comm::mpi {

class MpiCommunicator final : public Communicator {
 public:
  // Duplicates `parent` (the caller keeps ownership of it). Requires MPI_THREAD_MULTIPLE.
  MpiCommunicator(MPI_Comm parent, CommOptions options);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<Communicator> split(int color, int key) override;
  void exchange(const Exchange& x, device::Stream& stream) override;
  void all_reduce(TensorView inout, ReduceOp op) override;
  // Launched on the stream: the blocking all_reduce runs on its worker thread.
  void enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) override;
  void broadcast(TensorView buf, int root) override;
  void all_gather(ConstTensorView send, TensorView recv) override;
  GatheredBytes all_gather_v(ConstTensorView send) override;
  void barrier() override;
  const CommOptions& options() const override { return options_; }
  void set_options(const CommOptions& options) override { options_ = options; }

  // An MPI communicator of the same group for bootstrapping another transport over it
  // (NCCL's unique id): collectives only, while no collective of this one is in flight.
  MPI_Comm bootstrap_handle() const { return coll_; }

 private:
  struct Staging;  // a nonblocking collective's buffers (mpi_communicator.cc)
  using IssueStaged = std::function<int(Staging& staging, MPI_Request* request)>;

  void exchange_now(const Exchange& x);
  // Issues a nonblocking collective on `staging` and waits for it under the deadline;
  // returns `staging` once it completed (past the deadline it is leaked and PeerError
  // "<what> of <bytes> bytes: rank 2 (its last: #6) of 3 did not arrive at collective #7 ..." is thrown).
  std::unique_ptr<Staging> run_staged(std::unique_ptr<Staging> staging, const IssueStaged& issue,
                                      const std::string& what);
  // In place on a staged copy of `view`: copied in, collective, copied back.
  void run_collective(TensorView view, const std::function<int(void* data, MPI_Request* request)>& issue,
                      const std::string& what);
  void all_gather_named(ConstTensorView send, TensorView recv, const std::string& what);
  // The side channel that names a stalled collective's laggards: on entering a host
  // collective, each rank posts "arrived at collective #k" (8 bytes, nonblocking) to every
  // peer on arrive_, and reads what its peers posted. A collective that misses its
  // deadline lists the ranks whose arrival at #k it has not seen — that channel does
  // not depend on the stalled collective.
  void announce_arrival();
  void drain_arrivals();
  // "rank 1 did not arrive at collective #7 (its last: #6)" / "every rank arrived at ...".
  std::string laggards();

  MPI_Comm p2p_ = MPI_COMM_NULL, coll_ = MPI_COMM_NULL, arrive_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  CommOptions options_;
  std::int64_t collectives_ = 0;       // host collectives this rank entered
  std::vector<std::int64_t> arrived_;  // per rank: the highest collective number it announced
  struct Announcement {
    std::int64_t number = 0;  // the send buffer: lives until every send completed
    std::vector<MPI_Request> sends;
  };
  std::deque<Announcement> announcements_;  // a deque: elements never move
};

}  // namespace ra::comm::mpi

// The NCCL operations this rank enqueued and has not yet seen complete. Each occupies
// one slot of a fixed ring, preallocated so that enqueueing allocates nothing:
//   - a start and a done event, recorded just before and just after the operation on
//     its stream; the deadline clock (OpTimer) starts when the host first sees the
//     start event complete;
//   - for exchanges, the 8-byte size headers: the byte count a hop sends (pinned host
//     value -> device slot -> ncclSend) and the one it received (ncclRecv -> device slot
//     -> pinned host value), compared with the receive view's size once the done event
//     completed (see nccl_communicator.cc for why headers).
// scan() is what the communicator's wait monitor runs between the polls of every host
// wait on the device.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "comm/nccl/host/op_record.h"
#include "comm/nccl/host/op_timer.h"
#include "runtime/device/cuda/cuda_device.h"

namespace ra::comm::nccl {

class InFlightOps {
 public:
  struct Slot {
    OpRecord op;
    OpTimer timer;
    std::unique_ptr<device::Event> start, done;
    std::int64_t* host_send_bytes = nullptr;  // pinned
    std::int64_t* host_recv_bytes = nullptr;  // pinned
    void* device_send_bytes = nullptr;
    void* device_recv_bytes = nullptr;
  };

  // What try_reserve found: a slot (now reserved, its record and timer reset), or the
  // done event of the operation still occupying the next slot (null while another
  // thread holds that slot reserved).
  struct Attempt {
    Slot* slot = nullptr;
    device::Event* busy = nullptr;
  };

  InFlightOps(device::cuda::CudaDevice& device, int slot_count);

  Attempt try_reserve();
  void commit(Slot& slot);  // enqueued: scan() tracks it from now on
  void cancel(Slot& slot);  // reserved but never enqueued: free again

  // Polls every operation in flight, oldest first: starts the clocks of those that
  // started, frees those that completed. Returns the failure to report, if any: the
  // size mismatch of a completed receive, else the oldest operation past `deadline`.
  std::optional<std::string> scan(int rank, int size, std::chrono::milliseconds deadline);

  // The oldest operation in flight that has started (else the oldest queued), to name
  // in an asynchronous error.
  std::optional<OpRecord> oldest() const;

 private:
  enum class SlotState : std::uint8_t { kFree, kReserved, kInFlight };
  std::size_t index_of(const Slot& slot) const;

  std::unique_ptr<device::DeviceBuffer> device_headers_;
  std::unique_ptr<device::cuda::PinnedHostBuffer> host_headers_;
  std::vector<Slot> slots_;
  mutable std::mutex mu_;  // guards states_, next_ and the slots in flight
  std::vector<SlotState> states_;
  std::size_t next_ = 0;  // the next slot to reserve: the oldest position in the ring
};

// A reserved slot, freed again unless committed, so that a failure between reserving
// and enqueueing never leaks one.
class SlotReservation {
 public:
  SlotReservation(InFlightOps& ops, InFlightOps::Slot& slot) : ops_(&ops), slot_(&slot) {}
  ~SlotReservation();
  SlotReservation(SlotReservation&& other) noexcept;
  SlotReservation(const SlotReservation&) = delete;
  SlotReservation& operator=(const SlotReservation&) = delete;
  SlotReservation& operator=(SlotReservation&&) = delete;

  InFlightOps::Slot& slot() { return *slot_; }
  void commit();

 private:
  InFlightOps* ops_;
  InFlightOps::Slot* slot_;
};

}  // namespace ra::comm::nccl

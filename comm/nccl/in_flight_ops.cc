#include "comm/nccl/in_flight_ops.h"

#include <utility>

#include "comm/nccl/host/op_report.h"
#include "runtime/core/check.h"
#include "runtime/device/cuda/cuda_event.h"

namespace ra::comm::nccl {
namespace {

device::cuda::PollStatus query(device::Event& event) { return device::cuda::as_cuda(event).query(); }

}  // namespace

InFlightOps::InFlightOps(device::cuda::CudaDevice& device, int slot_count) {
  RA_CHECK_GT(InternalError, slot_count, 0, "NCCL in-flight slots");
  const auto n = static_cast<std::size_t>(slot_count);
  // Two int64 headers a slot: [2i] what slot i sends, [2i+1] what it received.
  const std::size_t header_bytes = 2 * n * sizeof(std::int64_t);
  device_headers_ = device.allocate(header_bytes);
  host_headers_ = device.allocate_pinned(header_bytes);
  auto* device_base = static_cast<std::int64_t*>(device_headers_->raw());
  auto* host_base = static_cast<std::int64_t*>(host_headers_->raw());
  slots_.resize(n);
  states_.assign(n, SlotState::kFree);
  for (std::size_t i = 0; i < n; ++i) {
    Slot& s = slots_[i];
    s.start = device.create_event();
    s.done = device.create_event();
    s.device_send_bytes = device_base + 2 * i;
    s.device_recv_bytes = device_base + 2 * i + 1;
    s.host_send_bytes = host_base + 2 * i;
    s.host_recv_bytes = host_base + 2 * i + 1;
  }
}

std::size_t InFlightOps::index_of(const Slot& slot) const {
  const auto i = static_cast<std::size_t>(&slot - slots_.data());
  RA_CHECK_LT(InternalError, i, slots_.size(), "slot of another in-flight table");
  return i;
}

InFlightOps::Attempt InFlightOps::try_reserve() {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_[next_];
  switch (states_[next_]) {
    case SlotState::kFree:
      states_[next_] = SlotState::kReserved;
      next_ = (next_ + 1) % slots_.size();
      s.op = OpRecord{};
      s.timer = OpTimer{};
      *s.host_send_bytes = kNoSizeHeader;
      *s.host_recv_bytes = kNoSizeHeader;
      return Attempt{&s, nullptr};
    case SlotState::kInFlight: return Attempt{nullptr, s.done.get()};
    case SlotState::kReserved: break;
  }
  return Attempt{};
}

void InFlightOps::commit(Slot& slot) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[index_of(slot)] = SlotState::kInFlight;
}

void InFlightOps::cancel(Slot& slot) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[index_of(slot)] = SlotState::kFree;
}

std::optional<std::string> InFlightOps::scan(int rank, int size, std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = OpTimer::Clock::now();
  const Slot* stalled = nullptr;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    const std::size_t i = (next_ + k) % slots_.size();
    if (states_[i] != SlotState::kInFlight) continue;
    Slot& s = slots_[i];
    s.timer.observe(query(*s.start), now);
    if (query(*s.done) == device::cuda::PollStatus::kDone) {
      states_[i] = SlotState::kFree;
      if (auto mismatch = size_mismatch_message(rank, s.op, *s.host_recv_bytes)) return mismatch;
      continue;
    }
    if (stalled == nullptr && s.timer.expired(now, deadline)) stalled = &s;
  }
  if (stalled == nullptr) return std::nullopt;
  return stall_message(rank, size, stalled->op, stalled->timer.elapsed(now), deadline);
}

std::optional<OpRecord> InFlightOps::oldest() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<OpRecord> queued;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    const std::size_t i = (next_ + k) % slots_.size();
    if (states_[i] != SlotState::kInFlight) continue;
    if (slots_[i].timer.started()) return slots_[i].op;
    if (!queued) queued = slots_[i].op;
  }
  return queued;
}

SlotReservation::~SlotReservation() {
  if (slot_ != nullptr) ops_->cancel(*slot_);
}

SlotReservation::SlotReservation(SlotReservation&& other) noexcept
    : ops_(other.ops_), slot_(std::exchange(other.slot_, nullptr)) {}

void SlotReservation::commit() {
  ops_->commit(*slot_);
  slot_ = nullptr;
}

}  // namespace ra::comm::nccl

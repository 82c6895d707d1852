#include "runtime/device/cpu/cpu_event.h"

namespace ra::device::cpu {

std::uint64_t CpuEvent::next_version() {
  const std::lock_guard lock(mu_);
  return ++recorded_;
}

std::uint64_t CpuEvent::recorded_version() {
  const std::lock_guard lock(mu_);
  return recorded_;
}

void CpuEvent::complete(std::uint64_t version, std::exception_ptr error) {
  {
    const std::lock_guard lock(mu_);
    if (version > completed_) completed_ = version;
    if (error && !error_) error_ = std::move(error);
  }
  cv_.notify_all();
}

std::exception_ptr CpuEvent::wait_for(std::uint64_t version) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return completed_ >= version; });
  return error_;
}

void CpuEvent::synchronize() {
  if (std::exception_ptr e = wait_for(recorded_version())) std::rethrow_exception(e);
}

}  // namespace ra::device::cpu

#include "runtime/device/cuda/host/wait_monitor.h"

#include <algorithm>
#include <utility>

namespace ra::device::cuda {

WaitMonitorRegistration::WaitMonitorRegistration(std::weak_ptr<State> state, WaitMonitor* monitor)
    : state_(std::move(state)), monitor_(monitor) {}

WaitMonitorRegistration::~WaitMonitorRegistration() { reset(); }

WaitMonitorRegistration::WaitMonitorRegistration(WaitMonitorRegistration&& other) noexcept
    : state_(std::move(other.state_)), monitor_(std::exchange(other.monitor_, nullptr)) {}

WaitMonitorRegistration& WaitMonitorRegistration::operator=(WaitMonitorRegistration&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    monitor_ = std::exchange(other.monitor_, nullptr);
  }
  return *this;
}

void WaitMonitorRegistration::reset() noexcept {
  if (monitor_ == nullptr) return;
  if (auto state = state_.lock()) {
    std::lock_guard<std::mutex> lock(state->mu);
    auto& m = state->monitors;
    m.erase(std::remove(m.begin(), m.end(), monitor_), m.end());
  }
  monitor_ = nullptr;
  state_.reset();
}

WaitMonitorRegistry::WaitMonitorRegistry() : state_(std::make_shared<WaitMonitorRegistration::State>()) {}

WaitMonitorRegistration WaitMonitorRegistry::add(WaitMonitor& monitor) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->monitors.push_back(&monitor);
  return WaitMonitorRegistration(state_, &monitor);
}

void WaitMonitorRegistry::check_all() {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (WaitMonitor* m : state_->monitors) m->check();
}

std::size_t WaitMonitorRegistry::size() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->monitors.size();
}

}  // namespace ra::device::cuda

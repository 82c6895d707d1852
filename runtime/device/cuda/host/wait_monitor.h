// Host waits on a CUDA device poll instead of blocking inside the driver (docs/design.md §7:
// no wait blocks forever). Between polls the waiting thread asks every registered
// WaitMonitor whether the wait should end: a component that knows what the device is
// waiting for — the NCCL communicator knows the hop, the peer and the bytes — turns an
// asynchronous error or a stalled peer into its own error, naming them.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

namespace ra::device::cuda {

class WaitMonitor {
 public:
  virtual ~WaitMonitor() = default;
  // Called by a waiting host thread between polls, and once more after the awaited work
  // completed (so checks of completed work run before the wait returns). Throws to end
  // the wait. Must be thread safe and quick, must never wait on the device itself, and
  // must not register or unregister monitors.
  virtual void check() = 0;
};

class WaitMonitorRegistry;

// Keeps a monitor registered; unregisters it when destroyed. Safe to outlive the registry.
class WaitMonitorRegistration {
 public:
  WaitMonitorRegistration() = default;
  ~WaitMonitorRegistration();
  WaitMonitorRegistration(WaitMonitorRegistration&& other) noexcept;
  WaitMonitorRegistration& operator=(WaitMonitorRegistration&& other) noexcept;
  WaitMonitorRegistration(const WaitMonitorRegistration&) = delete;
  WaitMonitorRegistration& operator=(const WaitMonitorRegistration&) = delete;

 private:
  friend class WaitMonitorRegistry;
  struct State;
  WaitMonitorRegistration(std::weak_ptr<State> state, WaitMonitor* monitor);
  void reset() noexcept;

  std::weak_ptr<State> state_;
  WaitMonitor* monitor_ = nullptr;
};

class WaitMonitorRegistry {
 public:
  WaitMonitorRegistry();
  // The monitor must stay alive while the returned registration does.
  [[nodiscard]] WaitMonitorRegistration add(WaitMonitor& monitor);
  // Runs every monitor's check() in registration order; the first throw propagates.
  // Monitors are called under the registry's lock, so one cannot be unregistered (and
  // destroyed) while it is being called.
  void check_all();
  std::size_t size() const;

 private:
  std::shared_ptr<WaitMonitorRegistration::State> state_;
};

struct WaitMonitorRegistration::State {
  mutable std::mutex mu;
  std::vector<WaitMonitor*> monitors;
};

}  // namespace ra::device::cuda

// What the CUDA device's streams, events and buffers share: its ordinal and options,
// the wait monitors, and whether the device has failed. They hold it by shared_ptr, so
// it lives as long as the last of them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/device/cuda/host/poll_wait.h"
#include "runtime/device/cuda/host/wait_monitor.h"

namespace ra::device::cuda {

struct CudaDeviceOptions {
  int ordinal = 0;  // cudaSetDevice ordinal (usually the node-local rank)
  // Backstop deadline of every host wait on this device (Event/Stream::synchronize).
  // A registered communicator applies its own comm_timeout first and names the stalled
  // hop and peer; keep this longer than comm_timeout so its message is the one seen.
  std::chrono::milliseconds sync_timeout{std::chrono::seconds(900)};
  // Longest sleep between polls of a host wait (the sleeps back off from 10 µs up to it,
  // runtime/core/poll_backoff.h). docs/design.md §4: ~1 ms keeps a long-waiting thread
  // off the compute core; a steady 50 µs already cost 30 % on a 2-core host.
  std::chrono::microseconds poll_interval{1000};
};

enum class DeviceHealth : std::uint8_t {
  kHealthy,
  // A wait failed (stalled peer, aborted communicator, deadline, CUDA error). Work may
  // still be stuck on the device, so frees that would synchronize with it (cudaFree,
  // cudaFreeHost) are skipped: the memory is left to the exiting process.
  kFailed,
};

class DeviceContext {
 public:
  explicit DeviceContext(CudaDeviceOptions options) : options_(options) {}

  const CudaDeviceOptions& options() const { return options_; }
  // Makes this device current on the calling thread (cudaSetDevice is per thread).
  void make_current() const;

  WaitMonitorRegistry& monitors() { return monitors_; }

  // Blocks the host until `query` reports done: polls, runs the wait monitors between
  // polls, throws ra::InternalError past sync_timeout. A wait that throws marks the
  // device failed.
  void host_wait(const std::function<PollStatus()>& query, const std::function<std::string()>& describe);

  void mark_failed() { health_.store(DeviceHealth::kFailed, std::memory_order_release); }
  DeviceHealth health() const { return health_.load(std::memory_order_acquire); }

 private:
  CudaDeviceOptions options_;
  WaitMonitorRegistry monitors_;
  std::atomic<DeviceHealth> health_{DeviceHealth::kHealthy};
};

}  // namespace ra::device::cuda

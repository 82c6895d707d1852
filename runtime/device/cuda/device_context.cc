#include "runtime/device/cuda/device_context.h"

#include "runtime/device/cuda/cuda_check.h"

namespace ra::device::cuda {

void DeviceContext::make_current() const { RA_CUDA_CHECK(cudaSetDevice(options_.ordinal)); }

void DeviceContext::host_wait(const std::function<PollStatus()>& query, const std::function<std::string()>& describe) {
  const PollOptions poll{options_.sync_timeout, options_.poll_interval, "cuda sync_timeout"};
  try {
    poll_until_done(
        query, [this] { monitors_.check_all(); }, poll,
        [&] { return describe() + " on CUDA device " + std::to_string(options_.ordinal); });
  } catch (...) {
    mark_failed();
    throw;
  }
}

}  // namespace ra::device::cuda

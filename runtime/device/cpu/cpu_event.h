// CPU events: a version counter under a mutex. record() on a stream bumps the version the
// event stands for; the stream's worker completes that version when it reaches it,
// carrying the stream's failure if it has one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>

#include "runtime/device/device.h"

namespace ra::device::cpu {

class CpuEvent final : public Event {
 public:
  // Called by Stream::record on the launching thread: the version a later wait targets.
  std::uint64_t next_version();
  // Called by the recording stream's worker.
  void complete(std::uint64_t version, std::exception_ptr error);
  // Blocks until `version` completed; returns the failure it carried (or null).
  std::exception_ptr wait_for(std::uint64_t version);
  std::uint64_t recorded_version();

  void synchronize() override;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t recorded_ = 0, completed_ = 0;
  std::exception_ptr error_;
};

}  // namespace ra::device::cpu

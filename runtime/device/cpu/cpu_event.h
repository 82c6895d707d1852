// CPU events. Each record() creates a fresh completion, which the recording stream's
// worker completes when it reaches that point (carrying the stream's failure, if any); a
// wait() holds the completion of the last record issued before it — CUDA semantics: a
// later record, on any stream, neither releases nor delays an earlier wait. Tasks hold
// completions by shared ownership, never the event itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "runtime/device/device.h"

namespace ra::device::cpu {

class Completion {
 public:
  void complete(std::exception_ptr error);
  // Blocks until completed; returns the failure it carried (or null).
  std::exception_ptr wait();
  // Blocks at most `timeout`: the failure it carried (null: none) once completed,
  // nullopt while still pending. For waits that must keep a deadline of their own.
  std::optional<std::exception_ptr> wait_for(std::chrono::microseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

class CpuEvent final : public Event {
 public:
  // record(): a new completion becomes the event's current one.
  std::shared_ptr<Completion> start_record();
  // wait(): the current completion (null when never recorded: nothing to wait for).
  std::shared_ptr<Completion> current();

  void synchronize() override;

 private:
  std::mutex mu_;
  std::shared_ptr<Completion> current_;
};

}  // namespace ra::device::cpu

// A CPU stream: one worker thread running its queue in launch order (docs/design.md §3).
// Also the machinery of the CUDA device's host-worker streams (runtime/device/cuda/
// cuda_host_stream.h), which reach it through record_completion and wait_until to order
// themselves with events of another kind.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/device/device.h"

namespace ra::device::cpu {

class Completion;

class CpuStream final : public Stream {
 public:
  CpuStream(std::string name, StreamObserver* observer);
  ~CpuStream() override;  // drains the queue, then joins the worker
  CpuStream(const CpuStream&) = delete;
  CpuStream& operator=(const CpuStream&) = delete;

  std::string_view name() const override { return name_; }
  void launch(std::string_view label, std::function<void()> work) override;
  void record(Event& event) override;
  void wait(Event& event) override;
  void synchronize() override;
  void* native_handle() override { return nullptr; }

  // The two halves of record() and wait() for events that are not CpuEvents:
  //  - record_completion: `done` completes when the worker reaches this point, carrying
  //    the stream's failure (if any) — what record() does with the CpuEvent's new one;
  //  - wait_until: the worker calls `blocking_wait`, which blocks until the awaited work
  //    completed and returns its failure (null: none); a failure poisons the stream. It
  //    is reported to the observer as a wait span named `label`.
  void record_completion(std::shared_ptr<Completion> done);
  void wait_until(std::string_view label, std::function<std::exception_ptr()> blocking_wait);

 private:
  enum class TaskKind : std::uint8_t { kWork, kWait, kRecord };
  struct Task {
    TaskKind kind;
    std::string label;
    std::function<void()> work;                   // kWork
    std::function<std::exception_ptr()> control;  // kWait: blocks and returns the awaited failure; kRecord: completes
  };
  void enqueue(Task task);
  void run();
  void report(const Task& task, std::chrono::steady_clock::time_point begin);

  std::string name_;
  StreamObserver* observer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::uint64_t launched_ = 0, done_ = 0;
  std::exception_ptr error_;  // the first failure; poisons the stream
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace ra::device::cpu

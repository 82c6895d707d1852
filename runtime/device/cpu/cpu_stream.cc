#include "runtime/device/cpu/cpu_stream.h"

#include "runtime/core/check.h"
#include "runtime/device/cpu/cpu_event.h"

namespace ra::device::cpu {

CpuStream::CpuStream(std::string name, StreamObserver* observer)
    : name_(std::move(name)), observer_(observer), worker_([this] { run(); }) {}

CpuStream::~CpuStream() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void CpuStream::enqueue(Task task) {
  {
    const std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
    ++launched_;
  }
  cv_.notify_all();
}

void CpuStream::launch(std::string_view label, std::function<void()> work) {
  enqueue(Task{TaskKind::kWork, std::string(label), std::move(work), {}});
}

void CpuStream::record(Event& event) { record_completion(dynamic_cast<CpuEvent&>(event).start_record()); }

void CpuStream::record_completion(std::shared_ptr<Completion> done) {
  enqueue(Task{TaskKind::kRecord, "record", {}, [this, done = std::move(done)] {
                 std::exception_ptr error;
                 {
                   const std::lock_guard lock(mu_);
                   error = error_;
                 }
                 done->complete(error);
                 return std::exception_ptr{};
               }});
}

void CpuStream::wait(Event& event) {
  // CUDA semantics: wait for the most recent record() issued before this call.
  std::shared_ptr<Completion> target = dynamic_cast<CpuEvent&>(event).current();
  if (!target) return;  // never recorded: nothing to wait for
  wait_until("wait", [target] { return target->wait(); });
}

void CpuStream::wait_until(std::string_view label, std::function<std::exception_ptr()> blocking_wait) {
  enqueue(Task{TaskKind::kWait, std::string(label), {}, std::move(blocking_wait)});
}

void CpuStream::synchronize() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = launched_;
  cv_.wait(lock, [&] { return done_ >= target; });
  if (error_) std::rethrow_exception(error_);
}

void CpuStream::report(const Task& task, std::chrono::steady_clock::time_point begin) {
  if (observer_ == nullptr || task.kind == TaskKind::kRecord) return;
  observer_->on_span(Span{name_, task.label, begin, std::chrono::steady_clock::now(),
                          task.kind == TaskKind::kWait ? SpanKind::kWait : SpanKind::kWork});
}

void CpuStream::run() {
  for (;;) {
    Task task;
    bool poisoned;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      poisoned = error_ != nullptr;
    }
    const auto begin = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    if (task.kind == TaskKind::kRecord) {
      task.control();  // completes the event, carrying the stream's failure
    } else if (!poisoned) {
      try {
        if (task.kind == TaskKind::kWork) {
          task.work();
        } else {
          failure = task.control();
        }
        report(task, begin);
      } catch (...) {
        failure = std::current_exception();
      }
    }
    {
      const std::lock_guard lock(mu_);
      if (failure && !error_) error_ = failure;
      ++done_;
    }
    cv_.notify_all();
  }
}

}  // namespace ra::device::cpu

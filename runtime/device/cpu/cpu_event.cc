#include "runtime/device/cpu/cpu_event.h"

namespace ra::device::cpu {

void Completion::complete(std::exception_ptr error) {
  {
    const std::lock_guard lock(mu_);
    done_ = true;
    error_ = std::move(error);
  }
  cv_.notify_all();
}

std::exception_ptr Completion::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  return error_;
}

std::optional<std::exception_ptr> Completion::wait_for(std::chrono::microseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return done_; })) return std::nullopt;
  return error_;
}

std::shared_ptr<Completion> CpuEvent::start_record() {
  const std::lock_guard lock(mu_);
  current_ = std::make_shared<Completion>();
  return current_;
}

std::shared_ptr<Completion> CpuEvent::current() {
  const std::lock_guard lock(mu_);
  return current_;
}

void CpuEvent::synchronize() {
  if (const std::shared_ptr<Completion> c = current()) {
    if (std::exception_ptr e = c->wait()) std::rethrow_exception(e);
  }
}

}  // namespace ra::device::cpu

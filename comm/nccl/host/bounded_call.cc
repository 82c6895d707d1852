#include "comm/nccl/host/bounded_call.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace ra::comm::nccl {

BoundedOutcome run_bounded(std::function<void()> fn, std::chrono::milliseconds limit) {
  // Shared with the helper thread, which may outlive this call.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool returned = false;
  };
  auto state = std::make_shared<State>();
  std::thread helper([state, fn = std::move(fn)] {
    try {
      fn();
    } catch (...) {  // the caller only needs to know that fn is over
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->returned = true;
    state->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mu);
  if (state->cv.wait_for(lock, limit, [&] { return state->returned; })) {
    lock.unlock();
    helper.join();
    return BoundedOutcome::kReturned;
  }
  lock.unlock();
  helper.detach();
  return BoundedOutcome::kAbandoned;
}

}  // namespace ra::comm::nccl

// A fixed pool of worker threads running index-space loops. Tasks are claimed in
// increasing index order, so a task may wait for the effect of a lower-indexed task
// (that task has already been claimed by a running thread, so the wait always ends).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ra {

class ThreadPool {
 public:
  using TaskFn = std::function<void(std::int64_t task, int worker)>;

  // `threads` >= 1 threads in all: the caller of parallel_for plus threads-1 workers.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  // Runs fn(task, worker) for every task in [0, n_tasks), worker in [0, threads()), and
  // returns when all have run. The first exception thrown by a task is rethrown here
  // (tasks not yet claimed then do not run; a task that waits on another task must
  // therefore never be waiting on one that threw). Not reentrant.
  void parallel_for(std::int64_t n_tasks, const TaskFn& fn);

 private:
  void worker_loop(int worker);
  void run_tasks(int worker);

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  std::uint64_t generation_ = 0;
  int busy_workers_ = 0;
  bool stopping_ = false;
  // The job being run.
  const TaskFn* fn_ = nullptr;
  std::int64_t n_tasks_ = 0;
  std::int64_t next_task_ = 0;  // guarded by mu_; claimed in run_tasks()
  std::exception_ptr error_;
};

}  // namespace ra

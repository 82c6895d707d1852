#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "runtime/core/thread_pool.h"

namespace ra {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceOnValidWorkers) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 20; ++round) {
      std::vector<std::atomic<int>> hits(1000);
      std::atomic<bool> bad_worker{false};
      pool.parallel_for(1000, [&](std::int64_t t, int w) {
        hits[static_cast<std::size_t>(t)]++;
        if (w < 0 || w >= threads) bad_worker = true;
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
      EXPECT_FALSE(bad_worker.load());
    }
  }
}

// Task t waits for task t-1: only safe because tasks are claimed in index order.
TEST(ThreadPool, TasksAreClaimedInIndexOrder) {
  ThreadPool pool(4);
  std::atomic<std::int64_t> done{0};
  pool.parallel_for(200, [&](std::int64_t t, int) {
    // Wait on the value just compared: `wait(done.load())` after a failed comparison could
    // read t itself (stored in between) and then wait for a change only this task makes —
    // the hang that a full ctest run here once hit.
    for (std::int64_t seen = done.load(); seen != t; seen = done.load()) done.wait(seen);
    done.store(t + 1);
    done.notify_all();
  });
  EXPECT_EQ(done.load(), 200);
}

TEST(ThreadPool, RethrowsTheFirstErrorAndStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](std::int64_t t, int) {
                                   if (t == 17) throw std::runtime_error("task 17");
                                 }),
               std::runtime_error);
  std::atomic<int> n{0};
  pool.parallel_for(10, [&](std::int64_t, int) { n++; });
  EXPECT_EQ(n.load(), 10);
}

}  // namespace
}  // namespace ra

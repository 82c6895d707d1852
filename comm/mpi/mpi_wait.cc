#include "comm/mpi/mpi_wait.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "runtime/core/error.h"
#include "runtime/core/poll_backoff.h"

namespace ra::comm::mpi {
namespace {

// CLOCK_MONOTONIC ns of the last continue that ended a stop (0: never), and how long
// that stop was. steady_clock is CLOCK_MONOTONIC on Linux; clock_gettime is
// async-signal-safe, and lock-free atomic loads and stores are too.
std::atomic<std::int64_t> g_resumed_ns{0}, g_stopped_ns{0};
// The heartbeat: a thread that stores the time every 100 ms. A stop shows as a heartbeat
// more than a second old. SIGCONT alone does not mean the process was stopped — mpirun
// sends it to every rank when it ends a job — so the handler counts a continue only when
// the heartbeat is that old. Both the handler and the heartbeat thread check: after a
// continue either may run first (the heartbeat's sleep expired during the stop), and the
// one that runs second sees a fresh heartbeat or an already-recorded stop.
std::atomic<std::int64_t> g_heartbeat_ns{0};
constexpr std::int64_t kHeartbeatNs = 100'000'000, kStoppedNs = 1'000'000'000;
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Records a stop if the heartbeat is over a second old at `now`. The stop is recorded
// before the heartbeat moves on, so a reader that sees the new heartbeat sees the stop.
void record_if_stopped(std::int64_t now) {
  const std::int64_t beat = g_heartbeat_ns.load(std::memory_order_acquire);
  if (beat == 0 || now - beat < kStoppedNs) return;  // running (or a SIGCONT to a running process)
  if (now - g_resumed_ns.load(std::memory_order_relaxed) < kStoppedNs) return;  // this stop is recorded
  g_stopped_ns.store(now - beat, std::memory_order_relaxed);
  g_resumed_ns.store(now, std::memory_order_release);
}

extern "C" void on_sigcont(int) { record_if_stopped(monotonic_ns()); }

}  // namespace

void watch_for_resume() {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  g_heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  std::thread([] {  // detached: it only sleeps and stores; it ends with the process
    for (;;) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(kHeartbeatNs));
      const std::int64_t now = monotonic_ns();
      record_if_stopped(now);
      g_heartbeat_ns.store(now, std::memory_order_release);
    }
  })
      .detach();
  struct sigaction sa {};
  sa.sa_handler = on_sigcont;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCONT, &sa, nullptr);
}

std::string stopped_note(double stopped_s, double resumed_ago_s, double resumed_stop_s, double window_s) {
  char note[256];
  if (stopped_s > 0) {
    std::snprintf(note, sizeof note,
                  "; this rank itself was stopped (not scheduled: SIGSTOP, a suspended job or host) for %.2f s of the "
                  "wait, not charged to the deadline",
                  stopped_s);
    return note;
  }
  if (resumed_ago_s >= 0 && resumed_ago_s <= window_s) {
    std::snprintf(note, sizeof note,
                  "; but this rank itself was stopped for %.2f s (SIGSTOP, a suspended job or host) and continued "
                  "%.2f s before this: its peers' deadlines may have expired while it was stopped, so the stall may "
                  "be this rank's, not the peer's",
                  resumed_stop_s, resumed_ago_s);
    return note;
  }
  return {};
}

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(len));
}

void wait_all(std::vector<MPI_Request>& requests, std::vector<MPI_Status>& statuses, const CommOptions& options,
              Pending pending_policy, const std::function<std::string(const std::vector<bool>& pending)>& describe) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  statuses.assign(requests.size(), MPI_Status{});
  std::vector<bool> done(requests.size(), false);
  // A poll gap longer than this means the process was not running (see mpi_wait.h).
  const auto stop_gap = std::max<Clock::duration>(std::chrono::milliseconds(500), options.poll_interval * 50);
  Clock::duration stopped{0};
  auto last_poll = start;
  PollBackoff backoff(options.poll_interval);  // 10 µs first, growing by a quarter to poll_interval
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (done[i]) continue;
      int flag = 0;
      const int rc = MPI_Test(&requests[i], &flag, &statuses[i]);
      if (rc == MPI_ERR_TRUNCATE) {  // completed, but longer than the buffer: the caller names the sizes
        statuses[i].MPI_ERROR = rc;
        done[i] = true;
        continue;
      }
      if (rc != MPI_SUCCESS) {
        throw PeerError(describe(std::vector<bool>(requests.size(), true)) + ": " + mpi_error_string(rc));
      }
      if (flag) {
        done[i] = true;
      } else {
        all = false;
      }
    }
    if (all) return;
    // One clock sample per round, taken after the tests: a stop anywhere in the round (in
    // the sleep or inside MPI_Test) shows up as a gap before the deadline is checked.
    const auto now = Clock::now();
    if (now - last_poll > stop_gap) stopped += now - last_poll - options.poll_interval;
    last_poll = now;
    const auto elapsed = now - start;
    if (elapsed - stopped >= options.timeout) {
      std::vector<bool> pending(requests.size());
      for (std::size_t i = 0; i < requests.size(); ++i) {
        pending[i] = !done[i];
        if (!done[i] && pending_policy == Pending::kCancel) MPI_Cancel(&requests[i]);
      }
      if (pending_policy == Pending::kCancel) {
        // A cancelled receive that was already matched still completes: give it a moment,
        // so that MPI is done with the caller's buffers before they are released. A live
        // peer on a node finishes a matched transfer in milliseconds; a stopped or dead
        // one never does — 250 ms keeps the job's end within deadline + 2 s (the fault
        // matrix, docs/errors.md) even on a loaded host.
        const auto grace_end = Clock::now() + std::chrono::milliseconds(250);
        for (std::size_t i = 0; i < requests.size(); ++i) {
          int flag = done[i] ? 1 : 0;
          while (!flag && Clock::now() < grace_end) {
            MPI_Test(&requests[i], &flag, MPI_STATUS_IGNORE);
            if (!flag) std::this_thread::sleep_for(options.poll_interval);
          }
        }
      }
      char tail[128];
      std::snprintf(tail, sizeof tail, " after %.2f s (deadline comm_timeout = %.2f s)",
                    std::chrono::duration<double>(elapsed).count(),
                    std::chrono::duration<double>(options.timeout).count());
      const std::int64_t resumed_ns = g_resumed_ns.load(std::memory_order_acquire);
      const double resumed_ago_s = resumed_ns == 0 ? -1.0 : static_cast<double>(monotonic_ns() - resumed_ns) * 1e-9;
      const double resumed_stop_s = static_cast<double>(g_stopped_ns.load(std::memory_order_relaxed)) * 1e-9;
      // A continue counts if it came during this wait or shortly before it: within a
      // deadline (at least 10 s, for a loaded host) of its start, the peers' own deadlines
      // may have expired while this rank was stopped.
      const double window_s = std::chrono::duration<double>(Clock::now() - start).count() +
                              std::max(10.0, std::chrono::duration<double>(options.timeout).count());
      throw PeerError(
          describe(pending) + tail +
          stopped_note(std::chrono::duration<double>(stopped).count(), resumed_ago_s, resumed_stop_s, window_s));
    }
    std::this_thread::sleep_for(backoff.next());
  }
}

}  // namespace ra::comm::mpi

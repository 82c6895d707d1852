#include "runtime/core/startup_watchdog.h"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "runtime/core/error.h"

namespace ra::startup {
namespace {

struct Watchdog {
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, disarmed = false;
  std::string stage = "starting";
  int rank = 0;
};

Watchdog& dog() {
  static Watchdog* w = new Watchdog;  // never destroyed: the thread may outlive main's statics
  return *w;
}

}  // namespace

std::chrono::milliseconds deadline_from_env(const char* value) {
  constexpr std::chrono::milliseconds fallback{std::chrono::seconds(300)};
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  const double s = std::strtod(value, &end);
  if (end == value || *end != '\0' || !(s > 0) || s > 1e6) return fallback;
  return std::chrono::milliseconds(static_cast<long long>(s * 1000.0));
}

void arm(int rank_hint) {
  Watchdog& w = dog();
  const std::chrono::milliseconds deadline = deadline_from_env(std::getenv("RINGATTN_STARTUP_TIMEOUT"));
  {
    std::lock_guard<std::mutex> lock(w.mu);
    if (w.armed) return;
    w.armed = true;
    w.rank = rank_hint;
  }
  std::thread([deadline] {
    Watchdog& d = dog();
    std::unique_lock<std::mutex> lock(d.mu);
    if (d.cv.wait_for(lock, deadline, [&] { return d.disarmed; })) return;
    // One line, written with write(2): no locks of iostreams a stuck thread may hold.
    char line[512];
    const int n = std::snprintf(line, sizeof line,
                                "ringattn: error: rank %d: startup: %s did not finish within %.1f s "
                                "(RINGATTN_STARTUP_TIMEOUT): a rank of the job did not start, or is stopped or "
                                "stuck; ending the job\n",
                                d.rank, d.stage.c_str(), static_cast<double>(deadline.count()) / 1000.0);
    if (n > 0) {
      const ssize_t ignored = ::write(2, line, static_cast<std::size_t>(n < 512 ? n : 511));
      (void)ignored;
    }
    ::_exit(static_cast<int>(ExitCode::kPeerFailure));
  }).detach();
}

void stage(const std::string& name) {
  Watchdog& w = dog();
  std::lock_guard<std::mutex> lock(w.mu);
  w.stage = name;
}

void disarm() {
  Watchdog& w = dog();
  {
    std::lock_guard<std::mutex> lock(w.mu);
    w.disarmed = true;
  }
  w.cv.notify_all();
}

}  // namespace ra::startup

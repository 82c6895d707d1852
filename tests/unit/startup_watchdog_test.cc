// The startup watchdog's deadline from the environment (the firing itself is tested with
// real processes in tests/distributed/startup_watchdog_test.sh).
#include "runtime/core/startup_watchdog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace ra::startup {
namespace {

using std::chrono::milliseconds;

TEST(StartupWatchdog, DeadlineFromTheEnvironment) {
  EXPECT_EQ(deadline_from_env(nullptr), milliseconds(300000));
  EXPECT_EQ(deadline_from_env(""), milliseconds(300000));
  EXPECT_EQ(deadline_from_env("3"), milliseconds(3000));
  EXPECT_EQ(deadline_from_env("0.5"), milliseconds(500));
  // Nonsense never makes the watchdog the reason a job fails: the default.
  for (const char* bad : {"0", "-2", "soon", "3s", "1e9"})
    EXPECT_EQ(deadline_from_env(bad), milliseconds(300000)) << bad;
}

TEST(StartupWatchdog, DisarmedItNeverFires) {
  ::setenv("RINGATTN_STARTUP_TIMEOUT", "0.05", 1);
  arm(0);
  stage("a test");
  disarm();
  std::this_thread::sleep_for(milliseconds(200));  // the process is still here
  SUCCEED();
}

}  // namespace
}  // namespace ra::startup

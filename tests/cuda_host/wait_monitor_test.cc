#include "runtime/device/cuda/host/wait_monitor.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "runtime/core/error.h"

namespace ra::device::cuda {
namespace {

class Recorder final : public WaitMonitor {
 public:
  Recorder(std::string name, std::string* log) : name_(std::move(name)), log_(log) {}
  void check() override { *log_ += name_; }

 private:
  std::string name_;
  std::string* log_;
};

class Thrower final : public WaitMonitor {
 public:
  void check() override { throw PeerError("rank 0: peer rank 1 stalled"); }
};

TEST(WaitMonitorRegistry, ChecksEveryMonitorInRegistrationOrder) {
  WaitMonitorRegistry registry;
  std::string log;
  Recorder a("a", &log), b("b", &log);
  auto ra = registry.add(a);
  auto rb = registry.add(b);
  registry.check_all();
  registry.check_all();
  EXPECT_EQ(log, "abab");
}

TEST(WaitMonitorRegistry, DestroyingTheRegistrationUnregisters) {
  WaitMonitorRegistry registry;
  std::string log;
  Recorder a("a", &log);
  {
    auto r = registry.add(a);
    EXPECT_EQ(registry.size(), 1u);
  }
  EXPECT_EQ(registry.size(), 0u);
  registry.check_all();
  EXPECT_EQ(log, "");
}

TEST(WaitMonitorRegistry, AMovedRegistrationStaysRegisteredOnce) {
  WaitMonitorRegistry registry;
  std::string log;
  Recorder a("a", &log);
  WaitMonitorRegistration kept;
  {
    auto r = registry.add(a);
    kept = std::move(r);
  }
  EXPECT_EQ(registry.size(), 1u);
  registry.check_all();
  EXPECT_EQ(log, "a");
  kept = WaitMonitorRegistration{};
  EXPECT_EQ(registry.size(), 0u);
}

TEST(WaitMonitorRegistry, TheFirstThrowEndsTheCheck) {
  WaitMonitorRegistry registry;
  std::string log;
  Thrower t;
  Recorder after("after", &log);
  auto rt = registry.add(t);
  auto ra = registry.add(after);
  EXPECT_THROW(registry.check_all(), PeerError);
  EXPECT_EQ(log, "");
}

TEST(WaitMonitorRegistry, ARegistrationMayOutliveItsRegistry) {
  std::string log;
  Recorder a("a", &log);
  WaitMonitorRegistration r;
  {
    WaitMonitorRegistry registry;
    r = registry.add(a);
  }
  r = WaitMonitorRegistration{};  // unregistering from a destroyed registry is a no-op
  SUCCEED();
}

}  // namespace
}  // namespace ra::device::cuda

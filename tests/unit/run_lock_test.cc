// The run lock (runtime/records/run_lock.h): a second holder of one directory is refused
// naming the directory and the first holder's line (flock conflicts between two open
// file descriptions even within one process, so one process can play both runs); the
// lock goes with its holder; a symlink or a directory at the lock's name is refused,
// never followed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "runtime/core/error.h"
#include "runtime/records/run_lock.h"

namespace ra::records {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RunLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ra_run_lock_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The refusal's message; fails the test when the lock is taken.
  std::string refusal() const {
    try {
      RunLock second(dir_, "output directory", "ringattn train");
    } catch (const UsageError& e) {
      EXPECT_EQ(exit_status(e), 2);
      return e.what();
    }
    ADD_FAILURE() << "a second lock of " << dir_ << " was taken";
    return "";
  }

  std::string dir_;
};

TEST_F(RunLockTest, ASecondHolderIsRefusedNamingTheDirectoryAndTheFirst) {
  auto first = std::make_unique<RunLock>(dir_, "output directory", "ringattn train");
  std::stringstream line;
  line << std::ifstream(first->path()).rdbuf();
  EXPECT_THAT(line.str(), StartsWith("ringattn train pid " + std::to_string(::getpid()) + " on host "));
  const std::string why = refusal();
  EXPECT_THAT(why, StartsWith(dir_ + ": the output directory is in use by another run (ringattn train pid " +
                              std::to_string(::getpid()) + " on host "));
  EXPECT_THAT(why, HasSubstr("lock " + dir_ + "/.ringattn.lock); wait for it to end, or use another output directory"));
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  first.reset();  // the run ends: the next one takes the lock
  EXPECT_NO_THROW(RunLock(dir_, "output directory", "ringattn train"));
  EXPECT_TRUE(fs::exists(dir_ + "/.ringattn.lock")) << "the file stays (removing it races with the next holder)";
}

// CI once caught the second of two runs started together reading the lock file in the
// instant between the first's flock and its line: the refusal said "a process that has
// just started" instead of naming the holder. A holder that writes its line late (here
// 200 ms after taking the lock) is still named.
TEST_F(RunLockTest, AHolderThatHasNotWrittenItsLineYetIsWaitedForAndNamed) {
  const std::string path = dir_ + "/.ringattn.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  std::thread late_writer([fd] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::string line = "late holder pid 42\n";
    EXPECT_EQ(::pwrite(fd, line.data(), line.size(), 0), static_cast<ssize_t>(line.size()));
  });
  const std::string why = refusal();
  late_writer.join();
  ::close(fd);
  EXPECT_THAT(why, HasSubstr("in use by another run (late holder pid 42, lock "));
}

TEST_F(RunLockTest, ARunThatEndsLeavesNoHolderLineBehind) {
  { RunLock first(dir_, "output directory", "ringattn train"); }
  EXPECT_EQ(fs::file_size(dir_ + "/.ringattn.lock"), 0u)
      << "a stale line would name an ended run to the next holder's contenders";
}

TEST_F(RunLockTest, ASymlinkAtTheLocksNameIsRefusedNotFollowed) {
  const std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, dir_ + "/.ringattn.lock");
  try {
    RunLock lock(dir_, "output directory", "ringattn train");
    ADD_FAILURE() << "locked through a symlink";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("it is a symbolic link; refusing to follow it"));
  }
  std::stringstream content;
  content << std::ifstream(victim).rdbuf();
  EXPECT_EQ(content.str(), "precious");
}

TEST_F(RunLockTest, ADirectoryAtTheLocksNameIsAClearError) {
  fs::create_directory(dir_ + "/.ringattn.lock");
  try {
    RunLock lock(dir_, "checkpoint directory", "ringattn train");
    ADD_FAILURE() << "locked a directory";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), StartsWith(dir_ + "/.ringattn.lock: cannot open the run lock of the checkpoint directory ("));
  }
}

}  // namespace
}  // namespace ra::records

// One run per directory (the output directory; a checkpoint directory outside it):
// `<dir>/.ringattn.lock`, locked with flock(LOCK_EX) by the
// process that writes the run's files (rank 0) for as long as the run lasts, and
// released by the kernel when that process ends, however it ends (a SIGKILL included:
// no stale lock to clean up). A second run into the same directory refuses at once,
// before it writes anything, naming the directory and the holder (pid, host, start time,
// as the holder wrote them into the file). The file is never removed (removing a lock
// file races with the next holder); it is created 0644, never through a symlink.
// flock works across processes on one host and, on Linux, on NFS (as fcntl locks).
#pragma once

#include <string>

namespace ra::records {

class RunLock {
 public:
  // Throws ra::UsageError (exit 2) when another process holds the lock, or the lock file
  // cannot be opened (a symlink or a directory at its name, no permission).
  // `role` ("output directory") names the directory in messages; `command` ("ringattn
  // train") is recorded for the next one to read.
  RunLock(const std::string& dir, const std::string& role, const std::string& command);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

inline constexpr const char* kRunLockFile = ".ringattn.lock";

}  // namespace ra::records

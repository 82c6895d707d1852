#include "runtime/records/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "runtime/core/error.h"

namespace ra::records {
namespace {

std::string read_holder_line(int fd) {
  char buf[512];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || static_cast<unsigned char>(c) < 0x20) c = ' ';  // one line, whatever is in the file
  return s;
}

// The holder writes its line right after taking the lock, so an empty file means it took
// the lock microseconds ago; wait briefly (up to ~1 s) for the line rather than refuse
// without saying who holds the directory.
std::string holder_text(int fd) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string s = read_holder_line(fd);
    if (!s.empty()) return s;
    const timespec pause{0, 10'000'000};  // 10 ms
    ::nanosleep(&pause, nullptr);
  }
  return "a process that has just started";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

RunLock::RunLock(const std::string& dir, const std::string& role, const std::string& command)
    : path_(dir + "/" + kRunLockFile) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    throw UsageError(path_ + ": cannot open the run lock of the " + role + " (" +
                     (err == ELOOP ? std::string("it is a symbolic link; refusing to follow it") : std::strerror(err)) +
                     ")");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = err == EWOULDBLOCK ? holder_text(fd_) : std::string();
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw UsageError(dir + ": the " + role + " is in use by another run (" + holder + ", lock " + path_ +
                       "); wait for it to end, or use another " + role);
    }
    throw UsageError(path_ + ": cannot lock the " + role + " (" + std::strerror(err) + ")");
  }
  char host[256] = "unknown";
  if (::gethostname(host, sizeof host) != 0) std::strcpy(host, "unknown");
  host[sizeof host - 1] = '\0';
  const std::string line =
      command + " pid " + std::to_string(::getpid()) + " on host " + host + " since " + utc_now() + "\n";
  // Best effort: the lock is what protects the directory; the line only tells the next
  // run who holds it. Write first, then cut off a previous holder's longer line, so a
  // reader never sees the file empty in between.
  const ssize_t written = ::pwrite(fd_, line.data(), line.size(), 0);
  if (written == static_cast<ssize_t>(line.size())) {
    [[maybe_unused]] const int cut = ::ftruncate(fd_, static_cast<off_t>(line.size()));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) {
    // Empty the holder line before letting go, so the next holder's first microseconds
    // never show ours (only a SIGKILLed holder leaves its line behind).
    [[maybe_unused]] const int cut = ::ftruncate(fd_, 0);
    ::close(fd_);  // releases the lock
  }
}

}  // namespace ra::records

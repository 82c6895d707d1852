#include "runtime/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "runtime/core/check.h"

namespace ra::io {
namespace {

constexpr mode_t kFileMode = 0644;
// One write(2) moves at most this much (Linux caps a call just below 2 GiB).
constexpr std::size_t kMaxIoBytes = std::size_t{1} << 30;

// Throws through the caller's ThrowFn. Reads errno: call it right after the failing
// system call.
[[noreturn]] void fail(ThrowFn throw_fn, const std::string& path, const std::string& what) {
  RA_CHECK(InternalError, throw_fn != nullptr, "a file operation without a ThrowFn");
  throw_fn(path + ": " + what + " failed (" + std::strerror(errno) + ")");
  throw InternalError(path + ": the ThrowFn of a file operation returned instead of throwing");
}

[[noreturn]] void refuse(ThrowFn throw_fn, const std::string& message) {
  RA_CHECK(InternalError, throw_fn != nullptr, "a file operation without a ThrowFn");
  throw_fn(message);
  throw InternalError(message + " (and its ThrowFn returned instead of throwing)");
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

NewFile NewFile::create(const std::string& path, ThrowFn throw_fn) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kFileMode);
  if (fd < 0) {
    fail(throw_fn, path,
         errno == EEXIST ? "creating the file (something exists at its name; a planted link is not followed)"
                         : "creating the file");
  }
  return NewFile(path, fd, throw_fn);
}

NewFile::NewFile(NewFile&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), throw_fn_(o.throw_fn_), written_bytes_(o.written_bytes_) {
  o.fd_ = -1;
}

NewFile::~NewFile() {
  if (fd_ >= 0) ::close(fd_);
}

void write_fully(int fd, const void* data, std::size_t size_bytes, const std::string& path, ThrowFn throw_fn) {
  const auto* p = static_cast<const char*>(data);
  std::size_t done_bytes = 0;
  while (done_bytes < size_bytes) {
    const ssize_t n = ::write(fd, p + done_bytes, std::min(size_bytes - done_bytes, kMaxIoBytes));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(throw_fn, path, "writing");
    if (n == 0) {
      errno = EIO;  // write(2) of a non-zero count returning 0: treat as an I/O error, never spin
      fail(throw_fn, path, "writing");
    }
    done_bytes += static_cast<std::size_t>(n);
  }
}

void NewFile::append(const void* data, std::size_t size_bytes) {
  write_fully(fd_, data, size_bytes, path_, throw_fn_);
  written_bytes_ += size_bytes;
}

void NewFile::sync_and_close() {
  // fsync before anything refers to this file (a manifest, a rename): its bytes are on
  // disk before it counts as written.
  if (::fsync(fd_) != 0) fail(throw_fn_, path_, "fsync");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(throw_fn_, path_, "closing");
}

void write_new_file_durably(const std::string& path, std::string_view bytes, ThrowFn throw_fn) {
  NewFile f = NewFile::create(path, throw_fn);
  f.append(bytes.data(), bytes.size());
  f.sync_and_close();
}

void fsync_directory(const std::string& path, ThrowFn throw_fn) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(throw_fn, path, "opening the directory");
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail(throw_fn, path, "fsync of the directory");
  }
  ::close(fd);
}

void rename_into_place(const std::string& from, const std::string& to, IfTargetExists if_exists, ThrowFn throw_fn) {
  if (if_exists == IfTargetExists::kRefuse) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
    if (errno == EEXIST) refuse(throw_fn, to + ": exists already; refusing to replace it");
    if (errno != EINVAL && errno != ENOSYS) fail(throw_fn, to, "renaming " + from + " into place");
    // The file system lacks RENAME_NOREPLACE: check (lstat: a dangling link counts), then rename.
    struct stat st {};
    if (::lstat(to.c_str(), &st) == 0) refuse(throw_fn, to + ": exists already; refusing to replace it");
    if (errno != ENOENT) fail(throw_fn, to, "inspecting");
  }
  if (std::rename(from.c_str(), to.c_str()) != 0) fail(throw_fn, to, "renaming " + from + " into place");
}

void write_file_atomically(const std::string& path, std::string_view bytes, const AtomicWriteOptions& options) {
  std::random_device rd;
  // In the target's directory: rename(2) is atomic only within one file system.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  NewFile f = NewFile::create(tmp, options.throw_fn);  // a failure here created nothing to remove
  try {
    f.append(bytes.data(), bytes.size());
    f.sync_and_close();
    rename_into_place(tmp, path, options.if_exists, options.throw_fn);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename is an entry of the directory: without this fsync a power loss could undo it.
  fsync_directory(parent_of(path), options.throw_fn);
}

}  // namespace ra::io

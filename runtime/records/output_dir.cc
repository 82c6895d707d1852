#include "runtime/records/output_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/core/error.h"
#include "runtime/core/input_file.h"
#include "runtime/io/atomic_file.h"
#include "runtime/records/safe_dir.h"

namespace ra::records {
namespace {

constexpr mode_t kFileMode = 0644;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw UsageError(path + ": " + what + ": " + std::strerror(errno));
}

constexpr io::ThrowFn kThrowUsageError = &io::throw_error<UsageError>;

void write_all(int fd, const std::string& data, const std::string& path) {
  io::write_fully(fd, data.data(), data.size(), path, kThrowUsageError);
}

[[noreturn]] void refuse_kind(const std::string& path, unsigned mode) {
  throw UsageError(path + ": refusing to append to " + file_kind_text(mode) + "; give a regular file");
}

int open_append(const std::string& path) {
  // A FIFO, device or directory is refused before the open (opening a FIFO for writing
  // waits for a reader); O_NONBLOCK keeps one swapped in meanwhile from blocking, and the
  // open file is checked again.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) refuse_kind(path, st.st_mode);
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, kFileMode);
  if (fd < 0) fail(path, errno == ELOOP ? "refusing to append through a symbolic link" : "cannot open for appending");
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail(path, "cannot inspect the file to append to");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    refuse_kind(path, st.st_mode);
  }
  return fd;
}

}  // namespace

OutputDir::OutputDir(std::string path) : path_(prepare_output_dir(path)) {}

void OutputDir::write_file(const std::string& name, const std::string& content) const {
  // kReplace: a rerun into the same directory replaces its files (a planted symlink
  // included, never followed).
  io::write_file_atomically(path_of(name), content,
                            {.if_exists = io::IfTargetExists::kReplace, .throw_fn = kThrowUsageError});
}

void OutputDir::append_line(const std::string& name, const std::string& line) const {
  const std::string target = path_of(name);
  const int fd = open_append(target);
  try {
    write_all(fd, line + "\n", target);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

AppendFile::AppendFile(std::string path) : path_(std::move(path)), fd_(open_append(path_)) {}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append_line(const std::string& line) { write_all(fd_, line + "\n", path_); }

}  // namespace ra::records

#include "runtime/core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ra {
namespace {

[[noreturn]] void refuse(const InputFileOptions& o, const std::string& message) {
  switch (o.error_code) {
    case ExitCode::kUsage: throw UsageError(message);
    case ExitCode::kInputData: throw InputDataError(message);
    case ExitCode::kCheckpoint: throw CheckpointError(message);
    default:
      throw InternalError("read_input_file: error code " + std::to_string(static_cast<int>(o.error_code)) +
                          " is not one a reader raises (" + message + ")");
  }
}

// "q.npy: cannot open the q file (Permission denied)"
[[noreturn]] void refuse_errno(const InputFileOptions& o, const std::string& path, const std::string& what, int err) {
  refuse(o, path + ": " + what + " (" + std::strerror(err) + ")");
}

// Closes the descriptor on every path out of read_input_file.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

void refuse_unless_regular(const InputFileOptions& o, const std::string& path, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return;
  struct stat link {};
  const bool via_link = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
  refuse(o, path + ": the " + o.role + " is " + file_kind_text(st.st_mode) +
                (via_link ? " (through a symbolic link)" : "") + ", not a regular file");
}

}  // namespace

const char* file_kind_text(unsigned mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISREG(mode)) return "a regular file";
  return "not a file of a known kind";
}

namespace {

// Opens `path` as read_input_file's contract says (regular file only, never blocking, not
// swapped between stat and open, within max_bytes) and returns the descriptor and size.
int open_checked(const std::string& path, const InputFileOptions& o, std::uint64_t& size_bytes_out) {
  if (path.empty()) refuse(o, std::string("the ") + o.role + " path is empty");
  // stat before open: opening a FIFO would wait for a writer, opening a device may act.
  struct stat before {};
  if (::stat(path.c_str(), &before) != 0) refuse_errno(o, path, std::string("cannot open the ") + o.role, errno);
  refuse_unless_regular(o, path, before);
  // O_NONBLOCK: a FIFO swapped in after the stat still cannot block the open.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) refuse_errno(o, path, std::string("cannot open the ") + o.role, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) refuse_errno(o, path, std::string("cannot inspect the ") + o.role, errno);
  refuse_unless_regular(o, path, st);
  if (st.st_dev != before.st_dev || st.st_ino != before.st_ino)
    refuse(o, path + ": the " + o.role + " was replaced while being opened");
  const auto size_bytes = static_cast<std::uint64_t>(st.st_size);
  if (size_bytes > o.max_bytes) {
    refuse(o, path + ": the " + o.role + " is " + std::to_string(size_bytes) + " bytes, more than the " +
                  std::to_string(o.max_bytes) + " bytes accepted");
  }
  size_bytes_out = size_bytes;
  return fd.release();
}

// Reads up to `want_bytes` from `fd` (despite EINTR and short reads); fewer only at the end of the file.
std::uint64_t read_fully(int fd, char* out, std::uint64_t want_bytes, const std::string& path,
                         const InputFileOptions& o) {
  std::uint64_t got_bytes = 0;
  while (got_bytes < want_bytes) {
    const ssize_t n = ::read(fd, out + got_bytes, static_cast<std::size_t>(want_bytes - got_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      refuse_errno(o, path,
                   std::string("reading the ") + o.role + " failed after " + std::to_string(got_bytes) + " bytes",
                   errno);
    if (n == 0) break;  // the end came early: the caller decides
    got_bytes += static_cast<std::uint64_t>(n);
  }
  return got_bytes;
}

}  // namespace

std::string read_input_file(const std::string& path, const InputFileOptions& o) {
  std::uint64_t size_bytes = 0;
  const Fd fd(open_checked(path, o, size_bytes));
  std::string out(static_cast<std::size_t>(size_bytes), '\0');
  const std::uint64_t got_bytes = read_fully(fd.get(), out.data(), size_bytes, path, o);
  char extra = 0;
  ssize_t more = 0;
  do {
    more = ::read(fd.get(), &extra, 1);
  } while (more < 0 && errno == EINTR);
  if (got_bytes != size_bytes || more > 0) {
    refuse(o, path + ": the " + o.role + " changed size while being read (" + std::to_string(size_bytes) +
                  " bytes when opened, " + (more > 0 ? "more" : std::to_string(got_bytes)) +
                  " bytes read): a short read is never taken for the whole file");
  }
  return out;
}

InputFilePrefix read_input_file_prefix(const std::string& path, const InputFileOptions& o, std::size_t prefix_bytes) {
  InputFilePrefix out;
  const Fd fd(open_checked(path, o, out.file_size_bytes));
  out.bytes.resize(static_cast<std::size_t>(std::min<std::uint64_t>(prefix_bytes, out.file_size_bytes)));
  const std::uint64_t got_bytes = read_fully(fd.get(), out.bytes.data(), out.bytes.size(), path, o);
  if (got_bytes != out.bytes.size()) {
    refuse(o, path + ": the " + o.role + " changed size while being read (" + std::to_string(out.file_size_bytes) +
                  " bytes when opened, " + std::to_string(got_bytes) + " bytes read)");
  }
  return out;
}

}  // namespace ra

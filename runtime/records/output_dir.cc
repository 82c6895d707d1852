#include "runtime/records/output_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/core/error.h"
#include "runtime/io/atomic_file.h"

namespace ra::records {
namespace {

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw UsageError(path + ": " + what + ": " + std::strerror(errno));
}

void make_dirs(const std::string& path) {
  std::string partial;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    partial = path.substr(0, slash == std::string::npos ? path.size() : slash);
    start = slash == std::string::npos ? path.size() + 1 : slash + 1;
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), kDirMode) != 0 && errno != EEXIST) fail(partial, "cannot create the output directory");
  }
}

constexpr io::ThrowFn kThrowUsageError = &io::throw_error<UsageError>;

void write_all(int fd, const std::string& data, const std::string& path) {
  io::write_fully(fd, data.data(), data.size(), path, kThrowUsageError);
}

int open_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, kFileMode);
  if (fd < 0) fail(path, errno == ELOOP ? "refusing to append through a symbolic link" : "cannot open for appending");
  return fd;
}

}  // namespace

OutputDir::OutputDir(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw UsageError("output_dir: empty path");
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  make_dirs(path_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) fail(path_, "cannot inspect the output directory");
  if (!S_ISDIR(st.st_mode)) throw UsageError(path_ + ": output_dir exists and is not a directory");
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    throw UsageError(path_ +
                     ": refusing an output directory that is world-writable without the sticky bit "
                     "(anyone could replace the run's files); use chmod o-w or chmod +t, or another output_dir");
  }
}

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

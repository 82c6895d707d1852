#include "runtime/checkpoint/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw CheckpointError(path + ": " + what + " failed (" + std::strerror(errno) + ")");
}

}  // namespace

void write_new_file_durably(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail("creating the file", path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("writing", path);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync", path);
  }
  if (::close(fd) != 0) fail("closing", path);
}

void fsync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("opening the directory", path);
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync of the directory", path);
  }
  ::close(fd);
}

void make_directory(const std::string& path, IfExists if_exists) {
  if (::mkdir(path.c_str(), 0755) == 0) return;
  if (errno == EEXIST && if_exists == IfExists::kOk) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    throw CheckpointError(path + ": exists and is not a directory");
  }
  fail("creating the directory", path);
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) throw CheckpointError(path + ": removing failed (" + ec.message() + ")");
}

}  // namespace ra::checkpoint

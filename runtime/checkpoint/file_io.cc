#include "runtime/checkpoint/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

constexpr mode_t kDirMode = 0755;
// One pread(2) moves at most this much (Linux caps a call just below 2 GiB).
constexpr std::size_t kMaxIoBytes = std::size_t{1} << 30;

// Reads errno: call it right after the failing system call.
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw CheckpointError(path + ": " + what + " failed (" + std::strerror(errno) + ")");
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

constexpr io::ThrowFn kThrowCheckpointError = &io::throw_error<CheckpointError>;

}  // namespace

NewFile create_new_file(const std::string& path) { return NewFile::create(path, kThrowCheckpointError); }

void write_new_file_durably(const std::string& path, std::string_view bytes) {
  io::write_new_file_durably(path, bytes, kThrowCheckpointError);
}

ReadOnlyFile ReadOnlyFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail(path, "opening");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail(path, "inspecting");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw CheckpointError(path + ": not a regular file");
  }
  return ReadOnlyFile(path, fd, static_cast<std::uint64_t>(st.st_size));
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), size_bytes_(o.size_bytes_) {
  o.fd_ = -1;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ReadOnlyFile::read_at(std::uint64_t offset_bytes, void* out, std::size_t size_bytes) const {
  auto* p = static_cast<char*>(out);
  std::size_t done_bytes = 0;
  while (done_bytes < size_bytes) {
    const ssize_t n = ::pread(fd_, p + done_bytes, std::min(size_bytes - done_bytes, kMaxIoBytes),
                              static_cast<off_t>(offset_bytes + done_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "reading");
    if (n == 0) {
      // The file shrank after the caller checked its size.
      throw CheckpointError(path_ + ": ends at byte " + std::to_string(offset_bytes + done_bytes) + ", expected " +
                            std::to_string(offset_bytes + size_bytes) + " (truncated)");
    }
    done_bytes += static_cast<std::size_t>(n);
  }
}

std::string read_whole_file(const std::string& path) {
  const ReadOnlyFile f = ReadOnlyFile::open(path);
  std::string bytes(static_cast<std::size_t>(f.size_bytes()), '\0');
  f.read_at(0, bytes.data(), bytes.size());
  return bytes;
}

void fsync_directory(const std::string& path) { io::fsync_directory(path, kThrowCheckpointError); }

void make_directory(const std::string& path, IfExists if_exists) {
  if (::mkdir(path.c_str(), kDirMode) == 0) return;
  if (errno == EEXIST && if_exists == IfExists::kOk) {
    if (entry_kind(path) == EntryKind::kDirectory) return;
    throw CheckpointError(path + ": exists and is not a directory");
  }
  fail(path, "creating the directory");
}

void make_directories(const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string partial = path.substr(0, slash == std::string::npos ? path.size() : slash);
    start = slash == std::string::npos ? path.size() + 1 : slash + 1;
    if (partial.empty()) continue;  // the leading '/' of an absolute path
    if (::mkdir(partial.c_str(), kDirMode) == 0) {
      fsync_directory(parent_of(partial));
      continue;
    }
    if (errno != EEXIST) fail(partial, "creating the directory");
    struct stat st {};
    if (::stat(partial.c_str(), &st) != 0) fail(partial, "inspecting");
    if (!S_ISDIR(st.st_mode)) throw CheckpointError(partial + ": exists and is not a directory");
  }
}

void rename_without_replacing(const std::string& from, const std::string& to) {
  io::rename_into_place(from, to, io::IfTargetExists::kRefuse, kThrowCheckpointError);
}

EntryKind entry_kind(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return EntryKind::kMissing;
    fail(path, "inspecting");
  }
  if (S_ISDIR(st.st_mode)) return EntryKind::kDirectory;
  if (S_ISLNK(st.st_mode)) return EntryKind::kSymlink;
  return EntryKind::kOther;
}

std::vector<std::string> list_directory(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) fail(path, "listing the directory");
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) fail(path, "listing the directory");
      break;
    }
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  return names;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) throw CheckpointError(path + ": removing failed (" + ec.message() + ")");
}

}  // namespace ra::checkpoint

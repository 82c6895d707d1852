// POSIX file operations for checkpoints, durable and symlink-safe:
//   - new files are created exclusively (O_EXCL) and never through a symlink
//     (O_NOFOLLOW), mode 0644, written fully despite short writes and EINTR, and fsynced
//     before they count as written (ra::io, runtime/io/atomic_file.h, does the writing);
//   - directories are created 0755 and fsynced after their entries change;
//   - a rename into place never replaces an existing entry.
// Every failure is an ra::CheckpointError naming the path and the system's reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/io/atomic_file.h"

namespace ra::checkpoint {

// ra::io's writer, its failures thrown as CheckpointError (exit 5).
using io::NewFile;
NewFile create_new_file(const std::string& path);
void write_new_file_durably(const std::string& path, std::string_view bytes);

// A file being read at offsets (shards are read tensor by tensor, straight into the
// caller's buffers).
class ReadOnlyFile {
 public:
  static ReadOnlyFile open(const std::string& path);
  ReadOnlyFile(ReadOnlyFile&& o) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  std::uint64_t size_bytes() const { return size_bytes_; }
  // Exactly `size_bytes` bytes at `offset_bytes`; the caller has checked the range.
  void read_at(std::uint64_t offset_bytes, void* out, std::size_t size_bytes) const;

 private:
  ReadOnlyFile(std::string path, int fd, std::uint64_t size_bytes)
      : path_(std::move(path)), fd_(fd), size_bytes_(size_bytes) {}
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_bytes_ = 0;
};

std::string read_whole_file(const std::string& path);

void fsync_directory(const std::string& path);

enum class IfExists : std::uint8_t { kFail, kOk };
// One directory, mode 0755 (before umask). With kOk an existing directory is accepted
// (not a symlink to one, nor a file).
void make_directory(const std::string& path, IfExists if_exists);
// Like `mkdir -p`; the parent of each directory it creates is fsynced, so a new root
// survives a power loss together with the first checkpoint renamed into it.
void make_directories(const std::string& path);

// rename(2) that refuses to replace `to` (renameat2 RENAME_NOREPLACE; where the file
// system lacks it, a check for `to` first: one writer per root makes the gap harmless).
void rename_without_replacing(const std::string& from, const std::string& to);

enum class EntryKind : std::uint8_t { kMissing, kDirectory, kSymlink, kOther };
EntryKind entry_kind(const std::string& path);  // lstat: a symlink is reported, not followed

std::vector<std::string> list_directory(const std::string& path);  // names, without . and ..
void remove_tree(const std::string& path);                         // a symlink is removed, not followed

}  // namespace ra::checkpoint

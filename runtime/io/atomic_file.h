// Files written safely and durably; the one implementation behind a run's output files
// (runtime/records) and checkpoints (runtime/checkpoint):
//   - new files are created exclusively (O_EXCL) and never through a symlink
//     (O_NOFOLLOW), mode 0644 (before umask, never world-writable), written fully
//     despite short writes and EINTR, and fsynced before they count as written;
//   - a whole file is written under a fresh temporary name in the target's directory,
//     then renamed over the target (atomic: a reader sees the old file or the new one,
//     never a part) and the directory fsynced, so the rename survives a power loss; a
//     failure removes the temporary file;
//   - a rename either replaces what is at the target (a planted symlink is replaced, not
//     followed) or refuses to (renameat2 RENAME_NOREPLACE).
// Every failure names the path and the system's reason, thrown as the caller's error type
// (see ThrowFn).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ra::io {

// How a failure is reported: the caller's ra::Error subclass, so the error carries the
// caller's exit code (a run's output files are a usage problem, exit 2; a checkpoint's
// files exit 5). Pass &throw_error<UsageError>, &throw_error<CheckpointError>, ...
using ThrowFn = void (*)(const std::string& message);
template <typename Err>
[[noreturn]] void throw_error(const std::string& message) {
  throw Err(message);
}

// All `size_bytes` bytes into the open file `fd` (`path` names it in errors), despite
// short writes and EINTR; a write(2) that moves nothing is an I/O error, never a spin.
void write_fully(int fd, const void* data, std::size_t size_bytes, const std::string& path, ThrowFn throw_fn);

// A file being written: create() it, append() its bytes, sync_and_close() it. A file
// destroyed before sync_and_close() is closed, not synced (the writer is failing; its
// caller removes what it wrote).
class NewFile {
 public:
  static NewFile create(const std::string& path, ThrowFn throw_fn);
  NewFile(NewFile&& o) noexcept;
  NewFile& operator=(NewFile&&) = delete;
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  ~NewFile();

  void append(const void* data, std::size_t size_bytes);
  void sync_and_close();
  std::uint64_t written_bytes() const { return written_bytes_; }
  const std::string& path() const { return path_; }

 private:
  NewFile(std::string path, int fd, ThrowFn throw_fn) : path_(std::move(path)), fd_(fd), throw_fn_(throw_fn) {}
  std::string path_;
  int fd_ = -1;
  ThrowFn throw_fn_;
  std::uint64_t written_bytes_ = 0;
};

// A new file at `path` (nothing may exist there), written, fsynced and closed; on
// failure what was created is left for the caller (checkpoints write into a temporary
// directory that is removed as a whole).
void write_new_file_durably(const std::string& path, std::string_view bytes, ThrowFn throw_fn);

void fsync_directory(const std::string& path, ThrowFn throw_fn);

enum class IfTargetExists : std::uint8_t {
  kReplace,  // rename(2): what is at the target (a file, a planted symlink) is replaced
  kRefuse,   // renameat2 RENAME_NOREPLACE; where the file system lacks it, a check for
             // the target first (one writer per target makes the gap harmless)
};
void rename_into_place(const std::string& from, const std::string& to, IfTargetExists if_exists, ThrowFn throw_fn);

struct AtomicWriteOptions {
  IfTargetExists if_exists = IfTargetExists::kReplace;
  ThrowFn throw_fn = nullptr;  // required
};
// `bytes` become the file at `path` all at once: temporary file, fsync, rename, fsync of
// the directory. The temporary file (`path`.tmp.<pid>.<random>) is removed on failure.
void write_file_atomically(const std::string& path, std::string_view bytes, const AtomicWriteOptions& options);

}  // namespace ra::io

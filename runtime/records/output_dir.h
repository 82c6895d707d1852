// A run's output directory and the files ringattn writes into it, safely:
//   - the directory is created if missing and validated by prepare_output_dir
//     (runtime/records/safe_dir.h: never a symlink, never a system directory, no
//     world-writable directory on the way without the sticky bit, not world-writable
//     itself without it);
//   - files are created 0644 (never world-writable) and never through a symlink: whole
//     files are written to a fresh temporary name (O_EXCL | O_NOFOLLOW), fsynced and
//     renamed over the target (a planted symlink is replaced, not followed), then the
//     directory is fsynced (runtime/io/atomic_file.h); appends open with O_NOFOLLOW.
// Errors are ra::UsageError naming the path and the reason.
#pragma once

#include <string>

namespace ra::records {

class OutputDir {
 public:
  explicit OutputDir(std::string path);

  const std::string& path() const { return path_; }
  std::string path_of(const std::string& name) const { return path_ + "/" + name; }

  void write_file(const std::string& name, const std::string& content) const;
  void append_line(const std::string& name, const std::string& line) const;

 private:
  std::string path_;
};

// One file outside the output directory that records are appended to (--jsonl).
class AppendFile {
 public:
  explicit AppendFile(std::string path);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void append_line(const std::string& line);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ra::records

// Files of one run that appear in its output directory together or not at all (the
// `attention` tool's o.npy, lse.npy, dq/dk/dv.npy). The chosen scheme: temporary names,
// renames, then a completion marker written last.
//   - Before the computation (the constructor): the marker is removed first, then every
//     file of the set an earlier run left (all names the command can write, not only this
//     run's), and the directory is proven writable by creating and removing a probe file
//     — a read-only or full directory is reported before any work, and from here on the
//     directory holds no outputs of the set that could pass for this run's.
//   - add(): each file is written under a temporary name (O_EXCL | O_NOFOLLOW) and fsynced.
//   - commit(): every file is renamed into place, the directory fsynced, then the marker
//     (one "name size_bytes" line per file) is written atomically. A failure removes what
//     this run wrote, temporaries and renamed files alike.
// So: a failed run leaves no file of the set; the set is complete exactly when the marker
// exists (a crash between the renames, the one window left, leaves files without it).
// Errors are ra::UsageError (exit 2) naming the file, like OutputDir's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/records/output_dir.h"

namespace ra::records {

class OutputSet {
 public:
  OutputSet(const OutputDir& dir, std::string marker, std::vector<std::string> names);
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // `name` must be one of the set's names.
  void add(const std::string& name, std::string_view bytes);
  void commit();

 private:
  void remove_written() noexcept;

  const OutputDir& dir_;
  std::string marker_;
  std::vector<std::string> names_;
  struct Written {
    std::string name, tmp;
    std::size_t size_bytes = 0;
    bool renamed = false;
  };
  std::vector<Written> written_;
  bool committed_ = false;
};

}  // namespace ra::records

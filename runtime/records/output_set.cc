#include "runtime/records/output_set.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "runtime/core/error.h"
#include "runtime/io/atomic_file.h"

namespace ra::records {
namespace {

constexpr io::ThrowFn kThrowUsageError = &io::throw_error<UsageError>;

std::string temp_name(const std::string& path) {
  std::random_device rd;
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
}

// unlink(2) removes a planted link itself, never what it points to.
void remove_stale(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return;
  const int err = errno;
  throw UsageError(path + ": cannot remove the output an earlier run left (" + std::strerror(err) +
                   "); remove it or use another output directory");
}

}  // namespace

OutputSet::OutputSet(const OutputDir& dir, std::string marker, std::vector<std::string> names)
    : dir_(dir), marker_(std::move(marker)), names_(std::move(names)) {
  remove_stale(dir_.path_of(marker_));  // first: from here on no set counts as complete
  for (const std::string& n : names_) remove_stale(dir_.path_of(n));
  const std::string probe = temp_name(dir_.path_of(".write-probe"));
  io::NewFile f = io::NewFile::create(probe, kThrowUsageError);
  ::unlink(probe.c_str());
  io::fsync_directory(dir_.path(), kThrowUsageError);  // the removals survive a power loss
}

OutputSet::~OutputSet() {
  if (!committed_) remove_written();
}

void OutputSet::remove_written() noexcept {
  for (const Written& w : written_) ::unlink((w.renamed ? dir_.path_of(w.name) : w.tmp).c_str());
  written_.clear();
}

void OutputSet::add(const std::string& name, std::string_view bytes) {
  if (committed_ || std::find(names_.begin(), names_.end(), name) == names_.end())
    throw InternalError("OutputSet: '" + name + "' is not a file of the set, or the set is committed");
  Written w{name, temp_name(dir_.path_of(name)), bytes.size(), false};
  try {
    io::write_new_file_durably(w.tmp, bytes, kThrowUsageError);
  } catch (...) {
    ::unlink(w.tmp.c_str());
    throw;
  }
  written_.push_back(std::move(w));
}

void OutputSet::commit() {
  std::string listing;
  try {
    for (Written& w : written_) {
      io::rename_into_place(w.tmp, dir_.path_of(w.name), io::IfTargetExists::kReplace, kThrowUsageError);
      w.renamed = true;
      listing += w.name + " " + std::to_string(w.size_bytes) + "\n";
    }
    io::fsync_directory(dir_.path(), kThrowUsageError);
    io::write_file_atomically(dir_.path_of(marker_), listing,
                              {.if_exists = io::IfTargetExists::kReplace, .throw_fn = kThrowUsageError});
  } catch (...) {
    remove_written();
    throw;
  }
  committed_ = true;
}

}  // namespace ra::records

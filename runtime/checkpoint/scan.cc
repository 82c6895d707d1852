// scan_checkpoints and latest_checkpoint: which checkpoints a root holds.
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/root.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {

CheckpointScan scan_checkpoints(const std::string& root_in) {
  const std::string root = normalized_root(root_in);
  CheckpointScan scan;
  if (entry_kind(root) == EntryKind::kMissing) return scan;  // a first run: nothing written yet
  // Loading from a root others could write to is as unsafe as writing there.
  check_root_is_safe(root);
  for (const StepEntry& e : list_root(root).step_dirs) {
    if (entry_kind(e.path) != EntryKind::kDirectory) {
      scan.skipped.push_back(e.path + ": not a directory (writes never create one)");
      continue;
    }
    try {
      read_manifest(e.path);  // written last and renamed into place with its directory: readable = complete
      scan.complete.push_back(e.path);
    } catch (const CheckpointError& x) {
      scan.skipped.push_back(x.what());
    }
  }
  return scan;
}

std::optional<std::string> latest_checkpoint(const std::string& root) { return scan_checkpoints(root).latest(); }

}  // namespace ra::checkpoint

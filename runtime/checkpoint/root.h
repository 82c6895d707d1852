// The checkpoint root: created when missing, refused when others could replace what is
// in it, and its entries sorted by kind (naming.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/checkpoint/naming.h"

namespace ra::checkpoint {

// `mkdir -p` of the root, then check_root_is_safe.
void prepare_root_for_writing(const std::string& root);

// Refuses (CheckpointError) a root that is not a directory, or is world-writable without
// the sticky bit: anyone could then swap a checkpoint for another between our write and
// the next run's load.
void check_root_is_safe(const std::string& root);

struct StepEntry {
  std::uint64_t step = 0;
  std::string path;
};
struct TmpEntry {
  TmpDirName name;
  std::string path;
};
struct RootEntries {
  std::vector<StepEntry> step_dirs;  // by step, oldest first; not checked for completeness
  std::vector<TmpEntry> tmp_dirs;
  std::vector<std::string> trash_dirs;
};
RootEntries list_root(const std::string& root);

// The root without trailing slashes ("ckpt/" -> "ckpt"), so paths in messages read well.
std::string normalized_root(const std::string& root);

}  // namespace ra::checkpoint

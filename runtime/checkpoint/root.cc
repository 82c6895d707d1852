#include "runtime/checkpoint/root.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/checkpoint/file_io.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {

void prepare_root_for_writing(const std::string& root) {
  make_directories(root);
  check_root_is_safe(root);
}

void check_root_is_safe(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    throw CheckpointError(root + ": cannot inspect the checkpoint directory (" + std::strerror(errno) + ")");
  }
  if (!S_ISDIR(st.st_mode)) throw CheckpointError(root + ": the checkpoint directory is not a directory");
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    throw CheckpointError(root +
                          ": the checkpoint directory is world-writable without the sticky bit; refusing "
                          "checkpoints others could replace (chmod o-w or chmod +t, or another checkpoint_dir)");
  }
}

RootEntries list_root(const std::string& root) {
  RootEntries out;
  for (const std::string& name : list_directory(root)) {
    const std::string path = root + "/" + name;
    if (const std::optional<std::uint64_t> step = parse_step_dir(name)) {
      out.step_dirs.push_back({*step, path});
    } else if (const std::optional<TmpDirName> tmp = parse_tmp_dir(name)) {
      out.tmp_dirs.push_back({*tmp, path});
    } else if (is_trash_dir(name)) {
      out.trash_dirs.push_back(path);
    }  // anything else is not ours: left alone
  }
  std::sort(out.step_dirs.begin(), out.step_dirs.end(),
            [](const StepEntry& a, const StepEntry& b) { return a.step < b.step; });
  return out;
}

std::string normalized_root(const std::string& root) {
  if (root.empty()) throw UsageError("checkpoint directory: empty path");
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

}  // namespace ra::checkpoint

#include "runtime/checkpoint/retention.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <vector>

#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/checkpoint/root.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

bool process_alive(long pid) {
  if (pid <= 0) return false;  // kill(0 or -1, ...) would address groups, not one process
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// A temporary directory whose writer can no longer rename it into a checkpoint that
// matters. One writer per root, and write_checkpoint is not run concurrently on a root,
// so when our write is done:
//   - one of our own pid is left from an earlier process that had our pid (containers
//     reuse pids across Slurm requeues);
//   - one of a step not newer than ours is superseded: its writer was killed (perhaps
//     on another node, where its pid means nothing here) and the run resumed;
//   - one of a newer step belongs to a writer that is gone if its pid is not alive here.
bool is_stale(const TmpDirName& tmp, std::uint64_t just_written_step) {
  if (tmp.pid == static_cast<long>(::getpid())) return true;
  if (tmp.step <= just_written_step) return true;
  return !process_alive(tmp.pid);
}

// Renamed out of the `step-*` namespace first (atomic), then deleted: a kill during the
// deletion leaves trash that the next write removes, never a half-deleted directory that
// still looks like a checkpoint.
void discard_checkpoint(const std::string& root, const StepEntry& e) {
  std::random_device rd;
  const std::string trash = root + "/" + trash_dir_name(e.step, static_cast<long>(::getpid()), rd());
  rename_without_replacing(e.path, trash);
  remove_tree(trash);
}

bool is_complete(const StepEntry& e) {
  if (entry_kind(e.path) != EntryKind::kDirectory) return false;
  try {
    read_manifest(e.path);
    return true;
  } catch (const CheckpointError&) {
    return false;
  }
}

}  // namespace

void apply_retention(const std::string& root, std::uint64_t just_written_step, std::uint32_t keep_latest_k) {
  const RootEntries entries = list_root(root);
  // Only complete checkpoints count and go: a `step-*` entry without a readable manifest
  // is not something a write produces (scan_checkpoints reports it), so it is left for a
  // person to look at rather than deleted.
  std::vector<StepEntry> complete;
  for (const StepEntry& e : entries.step_dirs)
    if (is_complete(e)) complete.push_back(e);
  const std::size_t keep = keep_latest_k;
  for (std::size_t i = 0; i + keep < complete.size(); ++i)
    if (complete[i].step != just_written_step) discard_checkpoint(root, complete[i]);
  for (const TmpEntry& t : entries.tmp_dirs)
    if (is_stale(t.name, just_written_step)) remove_tree(t.path);
  for (const std::string& trash : entries.trash_dirs) remove_tree(trash);
}

}  // namespace ra::checkpoint

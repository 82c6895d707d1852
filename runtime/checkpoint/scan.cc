// scan_checkpoints, latest_checkpoint, choose_resume_point: which checkpoints a root
// holds, and what a resume may load when some of them are damaged.
#include <ctime>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/root.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

std::string not_a_directory(const std::string& path, EntryKind kind) {
  const char* what = kind == EntryKind::kSymlink ? "a symbolic link" : "a file";
  return path + ": " + what + ", not a checkpoint directory (writes never create one)";
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::vector<DamagedEntry> CheckpointScan::damaged_after_latest() const {
  std::vector<DamagedEntry> out;
  for (const DamagedEntry& d : damaged)
    if (!latest_step || d.step > *latest_step) out.push_back(d);
  return out;
}

CheckpointScan scan_checkpoints(const std::string& root_in) {
  const std::string root = normalized_root(root_in);
  CheckpointScan scan;
  if (entry_kind(root) == EntryKind::kMissing) return scan;  // a first run: nothing written yet
  // Loading from a root others could write to is as unsafe as writing there.
  check_root_is_safe(root);
  for (const StepEntry& e : list_root(root).step_dirs) {
    const EntryKind kind = entry_kind(e.path);
    if (kind != EntryKind::kDirectory) {
      scan.damaged.push_back({e.step, e.path, not_a_directory(e.path, kind)});
      continue;
    }
    try {
      read_manifest(e.path);  // written last and renamed into place with its directory: readable = complete
      scan.complete.push_back(e.path);
      scan.latest_step = e.step;
    } catch (const CheckpointError& x) {
      scan.damaged.push_back({e.step, e.path, x.what()});
    }
  }
  return scan;
}

std::optional<std::string> latest_checkpoint(const std::string& root) { return scan_checkpoints(root).latest(); }

std::string set_aside_damaged(const DamagedEntry& entry) {
  const std::string base = entry.path + ".damaged-" + utc_stamp();
  std::string target = base;
  // Two set-asides of one step within a second (a damaged entry, a resume, the same
  // damage again): never replace the first.
  for (int n = 2; entry_kind(target) != EntryKind::kMissing; ++n) target = base + "-" + std::to_string(n);
  rename_without_replacing(entry.path, target);
  fsync_directory(parent_of(entry.path));
  return target;
}

ResumePoint choose_resume_point(const std::string& root, DamagedPolicy policy) {
  const CheckpointScan scan = scan_checkpoints(root);
  ResumePoint out;
  out.checkpoint = scan.latest();
  const std::string resume_text =
      out.checkpoint ? "the latest complete checkpoint " + *out.checkpoint : "step 0 (no complete checkpoint)";
  const std::vector<DamagedEntry> blocking = scan.damaged_after_latest();
  if (policy == DamagedPolicy::kRefuse && !blocking.empty()) {
    // One line: the newest damaged entry first (the one the user expected to resume
    // from), the others after it.
    std::string msg = "damaged checkpoint " + blocking.back().why;
    for (std::size_t i = blocking.size() - 1; i-- > 0;) msg += "; also damaged: " + blocking[i].why;
    msg += ". Refusing to resume from " + resume_text +
           " (its steps would be redone and the next checkpoint would collide with the damaged one). "
           "Inspect or move the damaged entry away, or set train.on_damaged_checkpoint=set_aside to rename it to "
           "<name>.damaged-<time> and resume from " +
           resume_text;
    throw CheckpointError(msg);
  }
  for (const DamagedEntry& d : scan.damaged) {
    if (policy == DamagedPolicy::kSetAside) {
      const std::string moved = set_aside_damaged(d);
      out.warnings.push_back("damaged checkpoint " + d.why + "; set aside as " + moved);
    } else {
      out.warnings.push_back("damaged checkpoint " + d.why + " (older than " + resume_text +
                             ", which is resumed; left for a person to look at)");
    }
  }
  if (policy == DamagedPolicy::kSetAside && !blocking.empty()) {
    out.warnings.push_back("resuming from " + resume_text + " instead of the damaged newer entries");
  }
  return out;
}

}  // namespace ra::checkpoint

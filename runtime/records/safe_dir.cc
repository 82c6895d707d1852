#include "runtime/records/safe_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "runtime/core/error.h"

namespace ra::records {
namespace {

constexpr mode_t kDirMode = 0755;

// Trees a run never writes into, at any depth.
constexpr std::array<std::string_view, 12> kSystemTrees = {"/bin",   "/boot",   "/dev",  "/etc",  "/lib", "/lib32",
                                                           "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr"};
// Shared tops: a run's directory goes below them, never straight into them.
constexpr std::array<std::string_view, 9> kSharedTops = {"/home", "/media", "/mnt", "/opt", "/root",
                                                         "/run",  "/srv",   "/tmp", "/var"};

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  const int err = errno;
  throw UsageError(path + ": " + what + " (" + std::strerror(err) + ")");
}

std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string parent_of(const std::string& p) {
  const std::size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return strip_trailing_slashes(p.substr(0, slash));
}

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) fail_errno(p, "cannot resolve the output directory's path");
  return buf;
}

std::string join(const std::string& dir, const std::string& name) { return dir == "/" ? "/" + name : dir + "/" + name; }

bool inside(const std::string& p, std::string_view tree) {
  return p.size() > tree.size() && p.compare(0, tree.size(), tree) == 0 && p[tree.size()] == '/';
}

// Rule 2, on the resolved path of the target.
void refuse_system_dir(const std::string& path, const std::string& resolved) {
  // /dev/shm is scratch space like /tmp: a directory below it is fine.
  const bool scratch = inside(resolved, "/dev/shm");
  bool system = resolved == "/" || resolved == "/dev/shm";
  for (std::string_view t : kSystemTrees) {
    if (!scratch) system = system || resolved == t || inside(resolved, t);
  }
  for (std::string_view t : kSharedTops) system = system || resolved == t;
  if (system) {
    throw UsageError(path + ": refusing to write a run's outputs into " + resolved +
                     ", a system directory; use a directory of your own (e.g. below your home or a scratch "
                     "directory)");
  }
}

bool world_writable(const struct stat& st) { return (st.st_mode & S_IWOTH) != 0; }
bool sticky(const struct stat& st) { return (st.st_mode & S_ISVTX) != 0; }

// Rule 3 along the resolved path `resolved` (every component exists): each directory on
// the way and the one below it.
void refuse_unsafe_parents(const std::string& path, const std::string& resolved) {
  std::string parent = "/";
  std::size_t start = 1;
  while (start < resolved.size()) {
    const std::size_t slash = resolved.find('/', start);
    const std::string child = resolved.substr(0, slash == std::string::npos ? resolved.size() : slash);
    start = slash == std::string::npos ? resolved.size() : slash + 1;
    struct stat pst {
    }, cst{};
    if (::stat(parent.c_str(), &pst) != 0) fail_errno(parent, "cannot inspect a parent of the output directory");
    if (::lstat(child.c_str(), &cst) != 0) fail_errno(child, "cannot inspect a parent of the output directory");
    if (world_writable(pst) && !sticky(pst)) {
      throw UsageError(path + ": refusing an output directory inside " + parent +
                       ", which is world-writable without the sticky bit (anyone could replace " + child +
                       " with a directory or link of their own); use chmod o-w or chmod +t on it, or another "
                       "output_dir");
    }
    if (world_writable(pst) && cst.st_uid != ::geteuid() && cst.st_uid != 0) {
      throw UsageError(path + ": " + child + " belongs to uid " + std::to_string(cst.st_uid) +
                       ", not to this user (uid " + std::to_string(::geteuid()) + "), inside the world-writable " +
                       parent + ": another user may have made it; remove it or use another output_dir");
    }
    parent = child;
  }
}

// Rule 2 and 3 before anything is created: `existing` is the deepest existing directory
// of the target, `missing` the components still to be made below it.
void check_before_creating(const std::string& path, const std::string& existing,
                           const std::vector<std::string>& missing) {
  const std::string resolved_existing = real_path(existing);
  std::string resolved = resolved_existing;
  for (const std::string& m : missing) resolved = join(resolved, m);
  refuse_system_dir(path, resolved);
  refuse_unsafe_parents(path, resolved_existing);
  if (!missing.empty()) {
    struct stat st {};
    if (::stat(resolved_existing.c_str(), &st) != 0) fail_errno(existing, "cannot inspect");
    if (world_writable(st) && !sticky(st)) {
      throw UsageError(path + ": refusing to create an output directory inside " + resolved_existing +
                       ", which is world-writable without the sticky bit (anyone could replace what is created "
                       "there); use chmod o-w or chmod +t on it, or another output_dir");
    }
  }
}

}  // namespace

std::string prepare_output_dir(const std::string& given) {
  if (given.empty()) throw UsageError("output_dir: empty path");
  const std::string path = strip_trailing_slashes(given);

  // The deepest existing ancestor (lstat: a link at the final component counts as existing).
  std::vector<std::string> missing;
  std::string existing = path;
  for (;;) {
    struct stat st {};
    if (::lstat(existing.c_str(), &st) == 0) break;
    if (errno != ENOENT) fail_errno(existing, "cannot inspect the output directory");
    const std::size_t slash = existing.find_last_of('/');
    const std::string name = existing.substr(slash == std::string::npos ? 0 : slash + 1);
    if (name == "..") {
      throw UsageError(path + ": '..' after a directory that does not exist (" + parent_of(existing) +
                       "); give the output directory without it");
    }
    if (!name.empty() && name != ".") missing.push_back(name);
    existing = parent_of(existing);
  }
  std::reverse(missing.begin(), missing.end());

  struct stat st {};
  if (missing.empty()) {
    if (::lstat(path.c_str(), &st) != 0) fail_errno(path, "cannot inspect the output directory");
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX] = {};
      const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      throw UsageError(path + ": the output directory is a symbolic link" +
                       (n > 0 ? " (to " + std::string(target, static_cast<std::size_t>(n)) + ")" : std::string()) +
                       "; ringattn never writes through a symlink: give the directory it points to");
    }
    if (!S_ISDIR(st.st_mode)) throw UsageError(path + ": output_dir exists and is not a directory");
  }
  check_before_creating(path, existing, missing);

  std::string made = existing;
  for (const std::string& m : missing) {
    made = join(made, m);
    if (::mkdir(made.c_str(), kDirMode) != 0 && errno != EEXIST) fail_errno(made, "cannot create the output directory");
  }

  // Everything again on the result: a directory that appeared meanwhile is judged like any.
  if (::lstat(path.c_str(), &st) != 0) fail_errno(path, "cannot inspect the output directory");
  if (S_ISLNK(st.st_mode))
    throw UsageError(path + ": the output directory is a symbolic link; ringattn never writes through a symlink");
  if (!S_ISDIR(st.st_mode)) throw UsageError(path + ": output_dir exists and is not a directory");
  const std::string resolved = real_path(path);
  refuse_system_dir(path, resolved);
  refuse_unsafe_parents(path, resolved);
  if (world_writable(st) && !sticky(st)) {
    throw UsageError(path +
                     ": refusing an output directory that is world-writable without the sticky bit "
                     "(anyone could replace the run's files); use chmod o-w or chmod +t, or another output_dir");
  }
  return path;
}

}  // namespace ra::records

#include "runtime/plan/memory_guard.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "comm/collectives.h"
#include "runtime/core/error.h"

namespace ra::plan {
namespace {

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::optional<std::int64_t> parse_int(const std::string& text) {
  std::istringstream in(text);
  long long v = 0;
  if (!(in >> v) || v < 0) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

// The cgroup v2 path of this process: the "0::/path" line of /proc/self/cgroup.
std::optional<std::string> cgroup_v2_path(const std::string& proc_self_cgroup) {
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return std::nullopt;
}

// The cgroup v1 memory controller's path: the "N:memory:/path" line.
std::optional<std::string> cgroup_v1_memory_path(const std::string& proc_self_cgroup) {
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    if (first == std::string::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    if (line.compare(first + 1, second - first - 1, "memory") == 0) return line.substr(second + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_meminfo_available(const std::string& meminfo) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    long long kib = 0;
    std::string unit;
    if (!(fields >> kib >> unit) || kib < 0 || unit != "kB") return std::nullopt;
    return static_cast<std::int64_t>(kib) * 1024;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_cgroup_limit(const std::string& memory_max) {
  if (memory_max.rfind("max", 0) == 0) return std::nullopt;
  const std::optional<std::int64_t> v = parse_int(memory_max);
  // cgroup v1 writes "no limit" as the largest page-aligned int64 (9223372036854771712).
  if (v && *v >= (std::int64_t{1} << 62)) return std::nullopt;
  return v;
}

MemoryAvailable available_memory(const std::string& root) {
  const std::string base = root.empty() || root.back() != '/' ? root + "/" : root;
  MemoryAvailable out;
  if (auto meminfo = read_small_file(base + "proc/meminfo")) {
    if (auto avail = parse_meminfo_available(*meminfo)) {
      out.bytes = *avail;
      out.source = "MemAvailable of /proc/meminfo";
    }
  }
  // The cgroup's limit and usage: v2 (memory.max, memory.current) or v1
  // (memory.limit_in_bytes, memory.usage_in_bytes) at the process's cgroup path, or at the
  // hierarchy's root when the path is not visible (a container's namespaced view).
  const auto consider = [&](const std::string& dir, const char* limit_file, const char* usage_file) {
    // -1: unknown or unlimited (GCC 12 misreads optional<int64_t> arithmetic here).
    const auto limit = read_small_file(dir + "/" + limit_file);
    const auto usage = read_small_file(dir + "/" + usage_file);
    const std::int64_t l = limit ? parse_cgroup_limit(*limit).value_or(-1) : -1;
    const std::int64_t u = usage ? parse_int(*usage).value_or(-1) : -1;
    if (l < 0 || u < 0) return false;
    const std::int64_t room = std::max<std::int64_t>(0, l - u);
    if (out.source.empty() || room < out.bytes) {
      out.bytes = room;
      out.source =
          std::string("cgroup ") + limit_file + " " + format_bytes(l) + " - " + usage_file + " " + format_bytes(u);
    }
    return true;
  };
  if (auto self = read_small_file(base + "proc/self/cgroup")) {
    if (auto path = cgroup_v2_path(*self)) {
      const std::string root_dir = base + "sys/fs/cgroup";
      if (!consider(root_dir + (*path == "/" ? "" : *path), "memory.max", "memory.current")) {
        consider(root_dir, "memory.max", "memory.current");
      }
    }
    if (auto path = cgroup_v1_memory_path(*self)) {
      const std::string root_dir = base + "sys/fs/cgroup/memory";
      if (!consider(root_dir + (*path == "/" ? "" : *path), "memory.limit_in_bytes", "memory.usage_in_bytes")) {
        consider(root_dir, "memory.limit_in_bytes", "memory.usage_in_bytes");
      }
    }
  }
  if (out.source.empty()) {
    out.bytes = 0;
    out.source = "unknown (no /proc/meminfo)";
  }
  return out;
}

std::int64_t safety_margin_bytes(std::int64_t available_bytes) {
  return std::max<std::int64_t>(available_bytes / 20, 256ll << 20);
}

std::string fit_refusal(const std::string& what, const MemoryEstimate& estimate, int ranks_on_node,
                        const MemoryAvailable& available, const std::string& advice) {
  if (available.source.rfind("unknown", 0) == 0) return {};  // nothing to check against
  const std::int64_t per_rank = estimate.total_bytes() + process_baseline_bytes;
  const std::int64_t need = per_rank * ranks_on_node;
  const std::int64_t usable = available.bytes - safety_margin_bytes(available.bytes);
  if (need <= usable) return {};
  std::vector<MemoryTerm> terms = estimate.terms;
  std::sort(terms.begin(), terms.end(), [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  std::ostringstream m;
  m << what << " needs about " << format_bytes(per_rank) << " per rank";
  if (ranks_on_node > 1) m << " x " << ranks_on_node << " ranks on this node = " << format_bytes(need);
  m << ", but " << format_bytes(available.bytes) << " is available (" << available.source << "; "
    << format_bytes(safety_margin_bytes(available.bytes)) << " kept free). Largest terms:";
  for (std::size_t i = 0; i < terms.size() && i < 3; ++i)
    m << (i ? "; " : " ") << terms[i].name << " " << format_bytes(terms[i].bytes);
  m << ". " << advice << " (`ringattn plan` prints the whole estimate)";
  return m.str();
}

void require_fits(comm::Communicator& world, const std::string& what, const MemoryEstimate& estimate,
                  const std::string& advice) {
  const comm::NodeLocal local = comm::node_local_rank(world);
  // One rank per node reads the node's memory; the others' verdicts are empty.
  std::string refusal;
  if (local.local_rank == 0) {
    refusal = fit_refusal(what, estimate, local.local_size, available_memory(), advice);
    if (!refusal.empty()) refusal = "host " + local.host + ": " + refusal;
  }
  const std::vector<std::string> verdicts = comm::all_gather_strings(world, refusal);
  for (const std::string& v : verdicts) {
    if (!v.empty()) throw JobWideError(ExitCode::kUsage, v);
  }
}

}  // namespace ra::plan

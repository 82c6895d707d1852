// Refuses a run that will not fit before it allocates (docs/errors.md, "Memory"): the
// estimate of memory_model.h for one rank, times the ranks sharing this node, plus the
// process baseline of each, against what the node can give — the cgroup's limit minus
// its usage when the job runs under one (Slurm, containers), else MemAvailable — with a
// margin for what no term covers. Device memory of a GPU is checked by the CUDA
// allocator itself (cudaMalloc fails cleanly); this guard is for the host's RAM, where
// the alternative is the kernel's OOM killer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "comm/communicator.h"
#include "runtime/plan/memory_model.h"

namespace ra::plan {

struct MemoryAvailable {
  std::int64_t bytes = 0;
  std::string source;  // "cgroup memory.max 8.00 GiB − memory.current 1.20 GiB", "MemAvailable"
};

// Parsers of the kernel's files (pure, tested in tests/plan):
//   /proc/meminfo's "MemAvailable:  123456 kB" line → bytes; nullopt when absent.
std::optional<std::int64_t> parse_meminfo_available(const std::string& meminfo);
//   cgroup v2 memory.max ("max" or bytes) or v1 memory.limit_in_bytes → bytes; nullopt
//   for "max", v1's "no limit" (≥ 2^62) or garbage.
std::optional<std::int64_t> parse_cgroup_limit(const std::string& memory_max);

// What this node can give now: min(MemAvailable, cgroup limit − cgroup usage) over the
// files found under `root` ("/" in production; a test's directory in tests): the cgroup
// of this process from /proc/self/cgroup, v2 (memory.max, memory.current) or v1
// (memory.limit_in_bytes, memory.usage_in_bytes).
MemoryAvailable available_memory(const std::string& root = "/");

// The margin kept free: 5 % of what is available, at least 256 MiB (page cache the run
// still needs, allocator slack, what the estimate misses).
std::int64_t safety_margin_bytes(std::int64_t available_bytes);

// Empty when `ranks_on_node` ranks of `estimate` (plus each one's process baseline) fit
// in `available` minus the margin; otherwise the refusal: what was estimated (the largest
// terms), what is available and from where, and what would make it fit.
std::string fit_refusal(const std::string& what, const MemoryEstimate& estimate, int ranks_on_node,
                        const MemoryAvailable& available, const std::string& advice);

// Collective over `world`: every rank checks its node (ranks_on_node from the node-local
// communicator), the verdicts are gathered, and if any node does not fit every rank
// throws the same ra::JobWideError (exit code 2, one line for the job) naming the first
// refusing rank's node. Call before the run allocates.
void require_fits(comm::Communicator& world, const std::string& what, const MemoryEstimate& estimate,
                  const std::string& advice);

}  // namespace ra::plan

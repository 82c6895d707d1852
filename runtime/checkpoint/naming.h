// Names inside a checkpoint root: `step-000000000100` (complete checkpoints) and
// `.tmp-step-000000000100-<pid>-<random>` (a writer's work in progress).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace ra::checkpoint {

inline constexpr const char* kManifestFile = "manifest.pb";

inline std::string step_dir_name(std::uint64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%012llu", static_cast<unsigned long long>(step));
  return buf;
}

inline std::string tmp_dir_name(std::uint64_t step, long pid, unsigned random) {
  return "." + step_dir_name(step) + "-tmp-" + std::to_string(pid) + "-" + std::to_string(random);
}

inline std::optional<std::uint64_t> parse_step_dir(const std::string& name) {
  if (name.size() != 17 || name.rfind("step-", 0) != 0) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return v;
}

// The writer's pid of a temporary directory name, or nothing.
inline std::optional<long> parse_tmp_dir_pid(const std::string& name) {
  const std::size_t at = name.find("-tmp-");
  if (name.rfind(".step-", 0) != 0 || at == std::string::npos) return std::nullopt;
  const std::size_t end = name.find('-', at + 5);
  if (end == std::string::npos) return std::nullopt;
  try {
    return std::stol(name.substr(at + 5, end - at - 5));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace ra::checkpoint

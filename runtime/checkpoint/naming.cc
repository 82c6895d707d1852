#include "runtime/checkpoint/naming.h"

#include <cstdio>
#include <limits>

namespace ra::checkpoint {
namespace {

constexpr std::string_view kStepPrefix = "step-";
constexpr std::string_view kTmpPrefix = ".tmp-";
constexpr std::string_view kTrashPrefix = ".trash-";
constexpr std::size_t kStepDigits = 12;

// Decimal digits only (no sign, no spaces: names are ours, anything else is not).
std::optional<std::uint64_t> parse_decimal(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string step_dir_name(std::uint64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%012llu", static_cast<unsigned long long>(step));
  return buf;
}

std::string shard_file_name(std::uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "tensors-%03u.bin", index);
  return buf;
}

std::string tmp_dir_name(std::uint64_t step, long pid, std::uint32_t random) {
  return std::string(kTmpPrefix) + step_dir_name(step) + "-" + std::to_string(pid) + "-" + std::to_string(random);
}

std::string trash_dir_name(std::uint64_t step, long pid, std::uint32_t random) {
  return std::string(kTrashPrefix) + step_dir_name(step) + "-" + std::to_string(pid) + "-" + std::to_string(random);
}

std::optional<std::uint64_t> parse_step_dir(std::string_view name) {
  if (name.substr(0, kStepPrefix.size()) != kStepPrefix) return std::nullopt;
  const std::string_view digits = name.substr(kStepPrefix.size());
  if (digits.size() < kStepDigits) return std::nullopt;
  const std::optional<std::uint64_t> step = parse_decimal(digits);
  // Only the canonical spelling: two names for one step would make "the latest" ambiguous.
  if (!step || step_dir_name(*step) != name) return std::nullopt;
  return step;
}

std::optional<TmpDirName> parse_tmp_dir(std::string_view name) {
  if (name.substr(0, kTmpPrefix.size()) != kTmpPrefix) return std::nullopt;
  name.remove_prefix(kTmpPrefix.size());
  // step-<digits>-<pid>-<random>
  const std::size_t pid_dash = name.find('-', kStepPrefix.size());
  if (pid_dash == std::string_view::npos) return std::nullopt;
  const std::size_t random_dash = name.find('-', pid_dash + 1);
  if (random_dash == std::string_view::npos) return std::nullopt;
  const std::optional<std::uint64_t> step = parse_step_dir(name.substr(0, pid_dash));
  const std::optional<std::uint64_t> pid = parse_decimal(name.substr(pid_dash + 1, random_dash - pid_dash - 1));
  if (!step || !pid || !parse_decimal(name.substr(random_dash + 1))) return std::nullopt;
  if (*pid > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) return std::nullopt;  // not a pid_t
  return TmpDirName{*step, static_cast<long>(*pid)};
}

bool is_trash_dir(std::string_view name) { return name.substr(0, kTrashPrefix.size()) == kTrashPrefix; }

std::string base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace ra::checkpoint

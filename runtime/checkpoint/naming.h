// Names inside a checkpoint root, the one place that spells them:
//   step-000000000100                       a complete checkpoint (renamed into place)
//   .tmp-step-000000000100-<pid>-<random>   a writer's work in progress
//   .trash-step-000000000100-<pid>-<random> an old checkpoint being deleted
//   manifest.pb, tensors-000.bin, ...       files inside a checkpoint
// Work in progress and trash start with '.', so they never parse as checkpoints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ra::checkpoint {

inline constexpr std::string_view kManifestFile = "manifest.pb";

// Twelve digits keep `ls` in step order up to step 10^12; longer steps still parse.
std::string step_dir_name(std::uint64_t step);
std::string shard_file_name(std::uint32_t index);
std::string tmp_dir_name(std::uint64_t step, long pid, std::uint32_t random);
std::string trash_dir_name(std::uint64_t step, long pid, std::uint32_t random);

std::optional<std::uint64_t> parse_step_dir(std::string_view name);

struct TmpDirName {
  std::uint64_t step = 0;
  long pid = 0;
};
std::optional<TmpDirName> parse_tmp_dir(std::string_view name);
bool is_trash_dir(std::string_view name);

// The last path component, ignoring trailing slashes ("a/step-1/" -> "step-1").
std::string base_name(std::string_view path);

}  // namespace ra::checkpoint

// Durable file writing for checkpoints: whole files created exclusively (O_EXCL, never
// through a symlink: O_NOFOLLOW), mode 0644, fully written despite short writes and
// EINTR, and fsynced; directories fsynced after entries change. Errors are
// ra::CheckpointError naming the path and the system's reason.
#pragma once

#include <string>
#include <cstdint>
#include <string_view>

namespace ra::checkpoint {

void write_new_file_durably(const std::string& path, std::string_view bytes);
void fsync_directory(const std::string& path);
// Creates a directory (mode 0755); an existing one is an error unless `exist_ok`.
enum class IfExists : std::uint8_t { kFail, kOk };
void make_directory(const std::string& path, IfExists if_exists);
void remove_tree(const std::string& path);

}  // namespace ra::checkpoint

// What a root keeps after a write: the newest keep_latest_k complete checkpoints and the
// one just written; temporary directories of writers that can no longer finish, and the
// trash of earlier deletions, go.
#pragma once

#include <cstdint>
#include <string>

namespace ra::checkpoint {

void apply_retention(const std::string& root, std::uint64_t just_written_step, std::uint32_t keep_latest_k);

}  // namespace ra::checkpoint

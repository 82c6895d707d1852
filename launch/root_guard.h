// ringattn refuses to run as root unless told to (--allow-root or RINGATTN_ALLOW_ROOT=1):
// everything a run writes would be root-owned, and a mistyped output_dir could overwrite
// system files. Containers and CI, which run as root, say so explicitly.
#pragma once

#include <cstdint>
#include <string>

namespace ra::launch {

enum class RootPermission : std::uint8_t { kNotGiven, kGiven };

// Empty when the run may go on; otherwise the one-line reason.
std::string root_refusal(unsigned effective_uid, RootPermission permission);

}  // namespace ra::launch

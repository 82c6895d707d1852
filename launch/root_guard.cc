#include "launch/root_guard.h"

namespace ra::launch {

std::string root_refusal(unsigned effective_uid, RootPermission permission) {
  if (effective_uid != 0 || permission == RootPermission::kGiven) return {};
  return "refusing to run as root: the files a run writes would be owned by root; run as a regular user, "
         "or pass --allow-root (or set RINGATTN_ALLOW_ROOT=1) in containers and CI";
}

}  // namespace ra::launch

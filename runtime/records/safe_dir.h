// The one routine that creates and validates a directory ringattn writes a run's outputs
// into (runtime/records/output_dir.h uses it for every command's --out-dir / output_dir).
// The rules (docs/errors.md, "Output directories"):
//   1. The directory itself is never a symbolic link: a link at the final component is
//      refused, not followed (links among its parents are followed: home directories and
//      scratch mounts are often links).
//   2. Never "/" or a system directory: /bin /boot /dev /etc /lib /lib32 /lib64 /libx32
//      /proc /sbin /sys /usr and anything inside them, and the shared tops /home /media
//      /mnt /opt /root /run /srv /tmp /var themselves (a directory below them is fine);
//      /dev/shm, scratch space like /tmp, is treated like the shared tops. The check is
//      on the resolved path, so "/tmp/.." or a link to "/" is "/".
//   3. No world-writable directory on the way without the sticky bit: anyone could rename
//      the next directory away and put one of their own in its place. In a world-writable
//      directory WITH the sticky bit (like /tmp) the next directory must belong to this
//      user or root: another user may have created it in advance.
//   4. The directory itself is not world-writable unless it has the sticky bit.
// Rules 2 and 3 are checked on what exists before anything is created, so nothing is made
// inside an unsafe parent; missing directories are then created (mode 0755 before umask)
// and every rule is checked again on the result. Errors are ra::UsageError (exit 2) naming
// the path, the directory at fault and the rule.
#pragma once

#include <string>

namespace ra::records {

// Creates `path` if missing and applies the rules above; returns `path` without trailing
// slashes.
std::string prepare_output_dir(const std::string& path);

}  // namespace ra::records

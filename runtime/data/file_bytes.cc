#include "runtime/data/file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/core/error.h"

namespace ra::data {

std::string read_file_bytes(const std::string& path, const char* what) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    const int err = errno;  // before any allocation of the message can touch errno
    throw InputDataError(path + ": cannot open the " + what + " (" + std::strerror(err) + ")");
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    errno = 0;
    const std::size_t got = std::fread(buf, 1, sizeof buf, f.get());
    const int err = errno;
    out.append(buf, got);
    if (got == sizeof buf) continue;
    // A short read is the end of the file or an error (a directory reads as EISDIR).
    if (std::ferror(f.get()))
      throw InputDataError(path + ": reading the " + what + " failed after " + std::to_string(out.size()) + " bytes (" +
                           std::strerror(err != 0 ? err : EIO) + ")");
    return out;
  }
}

}  // namespace ra::data

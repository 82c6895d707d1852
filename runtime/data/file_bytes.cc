#include "runtime/data/file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/core/error.h"

namespace ra::data {

std::string read_file_bytes(const std::string& path, const char* what) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw InputDataError(path + ": cannot open the " + what + " (" + std::strerror(errno) + ")");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const std::size_t got = std::fread(buf, 1, sizeof buf, f.get());
    out.append(buf, got);
    if (got < sizeof buf) break;
  }
  if (std::ferror(f.get())) throw InputDataError(path + ": reading the " + what + " failed (" + std::strerror(errno) + ")");
  return out;
}

}  // namespace ra::data

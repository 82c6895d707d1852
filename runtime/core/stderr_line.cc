#include "runtime/core/stderr_line.h"

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace ra {

void write_stderr_line(const std::string& line) {
  const std::string out = line + '\n';
  std::size_t done_bytes = 0;
  while (done_bytes < out.size()) {
    const ssize_t n = ::write(2, out.data() + done_bytes, out.size() - done_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing else can be told
    done_bytes += static_cast<std::size_t>(n);
  }
}

}  // namespace ra

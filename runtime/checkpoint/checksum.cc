#include "runtime/checkpoint/checksum.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

namespace ra::checkpoint {

std::uint32_t crc32_of(const void* data, std::size_t size_bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  // zlib takes uInt lengths: feed large tensors in pieces.
  constexpr std::size_t kPieceBytes = std::size_t{1} << 30;
  while (size_bytes > 0) {
    const std::size_t n = std::min(size_bytes, kPieceBytes);
    crc = ::crc32(crc, p, static_cast<uInt>(n));
    p += n;
    size_bytes -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string crc32_text(std::uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(crc));
  return buf;
}

}  // namespace ra::checkpoint

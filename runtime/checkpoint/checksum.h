// zlib's crc32 of tensor bytes (what the manifest records for each tensor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ra::checkpoint {

std::uint32_t crc32_of(const void* data, std::size_t size_bytes);
std::string crc32_text(std::uint32_t crc);  // "0x1234abcd"

}  // namespace ra::checkpoint

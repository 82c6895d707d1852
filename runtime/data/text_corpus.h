// Byte-level text: vocab 256, one token per byte (0 … 255, no special tokens), one
// document per file, in the order given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/data/documents.h"

namespace ra::data {

inline constexpr std::uint32_t kByteVocab = 256;

// Throws ra::InputDataError naming a file that cannot be read or is empty.
Documents read_text_documents(const std::vector<std::string>& files);

}  // namespace ra::data

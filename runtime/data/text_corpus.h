// Byte-level text: vocab 256, one token per byte, one document per file.
#pragma once

#include <string>
#include <vector>

#include "runtime/data/documents.h"

namespace ra::data {

// Throws ra::InputDataError naming a file that cannot be read or is empty.
Documents read_text_documents(const std::vector<std::string>& files);

}  // namespace ra::data

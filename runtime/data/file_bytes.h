// A whole input file as bytes; a file that cannot be opened or read is an
// ra::InputDataError naming it and the system's reason.
#pragma once

#include <string>

namespace ra::data {

std::string read_file_bytes(const std::string& path, const char* what);

}  // namespace ra::data

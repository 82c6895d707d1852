// User-supplied text inside an error message, made safe for a one-line report: control
// characters become escapes (\n, \t, \x01), so a message is always exactly one line.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace ra {

inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      out += b;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace ra

// A corpus as documents of token ids: what the text and token-file readers produce and
// the packer consumes.
#pragma once

#include <cstdint>
#include <vector>

namespace ra::data {

struct Documents {
  std::vector<std::uint32_t> tokens;   // all documents, back to back
  std::vector<std::uint64_t> offsets;  // document d is tokens[offsets[d], offsets[d+1]); size = docs + 1
  std::uint64_t count() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// Throws ra::UsageError unless offsets start at 0, never decrease and end at
// tokens.size() — what every consumer indexes by. `what` names the corpus in the message.
void check_documents(const Documents& docs, const char* what);

// Appends `more`'s documents after `all`'s (offsets shifted). `all` may be default-constructed.
void append_documents(Documents& all, const Documents& more);

}  // namespace ra::data

// Binary token files (docs/data.md). Little-endian:
//
//   offset  size  field
//   0       8     magic "RATOKENS"
//   8       4     version = 1
//   12      4     token_bytes: 2 (uint16 tokens) or 4 (uint32 tokens)
//   16      4     vocab_size: every token id is < vocab_size
//   20      4     reserved = 0
//   24      8     doc_count
//   32      8     token_count
//   40      8·(doc_count+1)   doc_offsets: token offsets, 0 first, token_count last, non-decreasing
//   then    token_bytes·token_count   tokens
//
// Reading is strict: any violation is an ra::InputDataError (exit code 3) naming the file,
// the byte offset and the rule — never a crash or a silent truncation.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/data/documents.h"

namespace ra::data {

inline constexpr char kTokenFileMagic[8] = {'R', 'A', 'T', 'O', 'K', 'E', 'N', 'S'};
inline constexpr std::uint32_t kTokenFileVersion = 1;
inline constexpr std::uint64_t kTokenFileHeaderBytes = 40;

enum class TokenWidth : std::uint32_t { kU16 = 2, kU32 = 4 };

// Throws ra::UsageError when a token does not fit the width or is >= vocab_size.
void write_token_file(const std::string& path, const Documents& docs, TokenWidth width, std::uint32_t vocab_size);

// `model_vocab`: the model's vocabulary; the file's vocab_size and every token must fit it.
Documents read_token_file(const std::string& path, std::uint32_t model_vocab);

}  // namespace ra::data

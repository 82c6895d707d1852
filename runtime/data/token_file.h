// Binary token files (docs/data.md): several documents of token ids in one file.
// Little-endian throughout:
//
//   offset  size                     field
//   0       8                        magic "RATOKENS"
//   8       4                        version = 1
//   12      4                        token_bytes: 2 (uint16 tokens) or 4 (uint32 tokens)
//   16      4                        vocab_size: every token id is < vocab_size
//   20      4                        reserved = 0
//   24      8                        doc_count
//   32      8                        token_count
//   40      8·(doc_count+1)          doc_offsets (uint64, in tokens): 0 first, token_count
//                                    last, non-decreasing (empty documents are allowed)
//   40 + 8·(doc_count+1)             tokens: token_bytes·token_count, nothing after them
//
// Reading is strict: any violation is an ra::InputDataError (exit code 3) with a one-line
// message naming the file, the byte offset of the offending field and the rule, e.g.
//   data.tok: byte 60: token 300 (token index 2) >= vocab 256 of the model
// — never a crash, never a silent truncation. Sizes declared in the header are checked
// against the file's size before anything is allocated from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/data/documents.h"

namespace ra::data {

inline constexpr char kTokenFileMagic[8] = {'R', 'A', 'T', 'O', 'K', 'E', 'N', 'S'};
inline constexpr std::uint32_t kTokenFileVersion = 1;
inline constexpr std::uint64_t kTokenFileHeaderBytes = 40;

enum class TokenWidth : std::uint32_t { kU16 = 2, kU32 = 4 };

// Writes `docs` (checked with check_documents) as a version-1 token file. Throws
// ra::UsageError when a token does not fit the width or is >= vocab_size, and
// ra::InputDataError naming the file when it cannot be written.
void write_token_file(const std::string& path, const Documents& docs, TokenWidth width, std::uint32_t vocab_size);

// `model_vocab`: the model's vocabulary. The file's vocab_size must not exceed it and
// every token must be below both.
Documents read_token_file(const std::string& path, std::uint32_t model_vocab);
// The same rules on a file's bytes; `path` names it in messages (read_token_file reads
// the file and calls this; the token-file fuzz target feeds it bytes).
Documents parse_token_file(const std::string& path, const std::string& in, std::uint32_t model_vocab);

// Several files, their documents back to back in the order given.
Documents read_token_files(const std::vector<std::string>& paths, std::uint32_t model_vocab);

}  // namespace ra::data

#include "runtime/data/token_file.h"

#include <cstring>
#include <fstream>
#include <vector>

#include "runtime/core/check.h"
#include "runtime/core/error.h"
#include "runtime/data/file_bytes.h"

namespace ra::data {
namespace {

template <typename T>
void put(std::string& out, T x) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(x) >> (8 * i)) & 0xffu));
}

template <typename T>
T get(const std::string& in, std::uint64_t at) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) x |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return static_cast<T>(x);
}

[[noreturn]] void bad(const std::string& path, std::uint64_t byte, const std::string& rule) {
  throw InputDataError(path + ": byte " + std::to_string(byte) + ": " + rule);
}

}  // namespace

void write_token_file(const std::string& path, const Documents& docs, TokenWidth width, std::uint32_t vocab_size) {
  const std::uint64_t max_id = width == TokenWidth::kU16 ? 0xffffu : 0xffffffffu;
  std::string out(kTokenFileMagic, sizeof kTokenFileMagic);
  put<std::uint32_t>(out, kTokenFileVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(width));
  put<std::uint32_t>(out, vocab_size);
  put<std::uint32_t>(out, 0);
  put<std::uint64_t>(out, docs.count());
  put<std::uint64_t>(out, docs.tokens.size());
  for (std::uint64_t off : docs.offsets) put<std::uint64_t>(out, off);
  for (std::uint32_t t : docs.tokens) {
    RA_CHECK(UsageError, t < vocab_size && t <= max_id, "token ", t, " does not fit vocab ", vocab_size, " / width");
    width == TokenWidth::kU16 ? put<std::uint16_t>(out, static_cast<std::uint16_t>(t)) : put<std::uint32_t>(out, t);
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  RA_CHECK(UsageError, f.good(), path, ": writing the token file failed");
}

Documents read_token_file(const std::string& path, std::uint32_t model_vocab) {
  const std::string in = read_file_bytes(path, "token file");
  const std::uint64_t size = in.size();
  if (size < kTokenFileHeaderBytes)
    bad(path, size, "file is " + std::to_string(size) + " bytes, shorter than the 40-byte header (truncated?)");
  if (std::memcmp(in.data(), kTokenFileMagic, sizeof kTokenFileMagic) != 0)
    bad(path, 0, "magic is not \"RATOKENS\": not a ringattn token file");
  const auto version = get<std::uint32_t>(in, 8);
  if (version != kTokenFileVersion)
    bad(path, 8, "version " + std::to_string(version) + " is not supported (this ringattn reads version 1)");
  const auto width = get<std::uint32_t>(in, 12);
  if (width != 2 && width != 4) bad(path, 12, "token_bytes " + std::to_string(width) + " must be 2 or 4");
  const auto vocab = get<std::uint32_t>(in, 16);
  if (vocab > model_vocab)
    bad(path, 16, "vocab_size " + std::to_string(vocab) + " exceeds the model's vocab " + std::to_string(model_vocab));
  const auto docs = get<std::uint64_t>(in, 24), count = get<std::uint64_t>(in, 32);
  // Sizes from the header are checked against the file before anything is allocated.
  const std::uint64_t max_docs = (size - kTokenFileHeaderBytes) / 8;
  if (docs >= max_docs)
    bad(path, 24, "doc_count " + std::to_string(docs) + " needs " + std::to_string(8 * (docs + 1)) +
                      " bytes of offsets, the file has " + std::to_string(size - kTokenFileHeaderBytes) + " after the header");
  const std::uint64_t tokens_at = kTokenFileHeaderBytes + 8 * (docs + 1);
  if (count > (size - tokens_at) / width || size - tokens_at != count * width) {
    bad(path, tokens_at, "token_count " + std::to_string(count) + " × " + std::to_string(width) + " bytes = " +
                             std::to_string(count * width) + " bytes expected after the offsets, the file has " +
                             std::to_string(size - tokens_at) + (size - tokens_at < count * width ? " (truncated)" : ""));
  }
  Documents d;
  d.offsets.resize(docs + 1);
  for (std::uint64_t i = 0; i <= docs; ++i) {
    const std::uint64_t at = kTokenFileHeaderBytes + 8 * i;
    d.offsets[i] = get<std::uint64_t>(in, at);
    if (i == 0 && d.offsets[0] != 0) bad(path, at, "the first document offset must be 0, got " + std::to_string(d.offsets[0]));
    if (i > 0 && d.offsets[i] < d.offsets[i - 1])
      bad(path, at, "document offset " + std::to_string(d.offsets[i]) + " decreases (previous " + std::to_string(d.offsets[i - 1]) + ")");
  }
  if (d.offsets[docs] != count)
    bad(path, kTokenFileHeaderBytes + 8 * docs, "the last document offset " + std::to_string(d.offsets[docs]) +
                                                     " must equal token_count " + std::to_string(count));
  d.tokens.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = tokens_at + i * width;
    const std::uint32_t t = width == 2 ? get<std::uint16_t>(in, at) : get<std::uint32_t>(in, at);
    if (t >= model_vocab)
      bad(path, at, "token " + std::to_string(t) + " (token index " + std::to_string(i) + ") >= vocab " +
                        std::to_string(model_vocab) + " of the model");
    d.tokens[i] = t;
  }
  return d;
}

}  // namespace ra::data

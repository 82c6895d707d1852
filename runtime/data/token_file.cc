#include "runtime/data/token_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "runtime/core/check.h"
#include "runtime/core/error.h"
#include "runtime/core/input_file.h"

namespace ra::data {
namespace {

// Header fields, by byte offset.
constexpr std::uint64_t kVersionAt = 8, kWidthAt = 12, kVocabAt = 16, kReservedAt = 20, kDocCountAt = 24,
                        kTokenCountAt = 32;

template <typename T>
void put(std::string& out, T x) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(x) >> (8 * i)) & 0xffu));
}

// Little-endian read of a field the caller has bounds-checked.
template <typename T>
T get(const std::string& in, std::uint64_t at) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    x |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return static_cast<T>(x);
}

[[noreturn]] void bad(const std::string& path, std::uint64_t byte, const std::string& rule) {
  throw InputDataError(path + ": byte " + std::to_string(byte) + ": " + rule);
}

// a·b + c in decimal, or "more than 2^64" where it overflows: sizes computed from a
// hostile header must not wrap around in the message that refuses them.
std::string size_text(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  if (b == 0 || a <= (max - c) / b) return std::to_string(a * b + c);
  return "more than 2^64";
}

}  // namespace

void write_token_file(const std::string& path, const Documents& docs, TokenWidth width, std::uint32_t vocab_size) {
  check_documents(docs, "write_token_file");
  RA_CHECK(UsageError, width == TokenWidth::kU16 || width == TokenWidth::kU32, "token width must be 2 or 4 bytes, got ",
           static_cast<std::uint32_t>(width));
  const std::uint64_t max_id = width == TokenWidth::kU16 ? 0xffffu : 0xffffffffu;
  std::string out(kTokenFileMagic, sizeof kTokenFileMagic);
  put<std::uint32_t>(out, kTokenFileVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(width));
  put<std::uint32_t>(out, vocab_size);
  put<std::uint32_t>(out, 0);  // reserved
  put<std::uint64_t>(out, docs.count());
  put<std::uint64_t>(out, docs.tokens.size());
  for (std::uint64_t off : docs.offsets) put<std::uint64_t>(out, off);
  for (std::size_t i = 0; i < docs.tokens.size(); ++i) {
    const std::uint32_t t = docs.tokens[i];
    RA_CHECK(UsageError, t < vocab_size && t <= max_id, "token ", t, " (token index ", i, ") does not fit vocab_size ",
             vocab_size, " and ", static_cast<std::uint32_t>(width), "-byte tokens");
    if (width == TokenWidth::kU16) {
      put<std::uint16_t>(out, static_cast<std::uint16_t>(t));
    } else {
      put<std::uint32_t>(out, t);
    }
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  int err = errno;
  bool ok = f != nullptr && std::fwrite(out.data(), 1, out.size(), f.get()) == out.size();
  if (ok) err = errno;
  if (f != nullptr) {
    ok = std::fclose(f.release()) == 0 && ok;  // a full disk may only show at close
    if (!ok && err == 0) err = errno;
  }
  if (!ok) throw InputDataError(path + ": cannot write the token file (" + std::strerror(err != 0 ? err : EIO) + ")");
}

Documents read_token_file(const std::string& path, std::uint32_t model_vocab) {
  return parse_token_file(path, read_input_file(path, {.role = "token file", .error_code = ExitCode::kInputData}),
                          model_vocab);
}

Documents parse_token_file(const std::string& path, const std::string& in, std::uint32_t model_vocab) {
  const std::uint64_t size = in.size();
  if (size < kTokenFileHeaderBytes)
    bad(path, size, "file is " + std::to_string(size) + " bytes, shorter than the 40-byte header (truncated?)");
  if (std::memcmp(in.data(), kTokenFileMagic, sizeof kTokenFileMagic) != 0)
    bad(path, 0, "magic is not \"RATOKENS\": not a ringattn token file");
  const auto version = get<std::uint32_t>(in, kVersionAt);
  if (version != kTokenFileVersion)
    bad(path, kVersionAt, "version " + std::to_string(version) + " is not supported (this ringattn reads version 1)");
  const auto width = get<std::uint32_t>(in, kWidthAt);
  if (width != 2 && width != 4) bad(path, kWidthAt, "token_bytes " + std::to_string(width) + " must be 2 or 4");
  const auto file_vocab = get<std::uint32_t>(in, kVocabAt);
  if (file_vocab > model_vocab)
    bad(path, kVocabAt,
        "vocab_size " + std::to_string(file_vocab) + " exceeds the model's vocab " + std::to_string(model_vocab));
  const auto reserved = get<std::uint32_t>(in, kReservedAt);
  if (reserved != 0) bad(path, kReservedAt, "reserved field is " + std::to_string(reserved) + ", must be 0");
  const auto docs = get<std::uint64_t>(in, kDocCountAt), count = get<std::uint64_t>(in, kTokenCountAt);

  // Sizes from the header are checked against the file before anything is allocated.
  const std::uint64_t offset_slots = (size - kTokenFileHeaderBytes) / 8;  // offsets that fit after the header
  if (docs >= offset_slots)
    bad(path, kDocCountAt,
        "doc_count " + std::to_string(docs) + ": header and offsets need 40 + 8·(doc_count+1) = " +
            size_text(8, docs, 48) + " bytes, the file is " + std::to_string(size) + " (truncated?)");
  const std::uint64_t tokens_at = kTokenFileHeaderBytes + 8 * (docs + 1);
  const std::uint64_t token_bytes_present = size - tokens_at;
  if (count > token_bytes_present / width || token_bytes_present != count * width) {
    const bool truncated = count > token_bytes_present / width || token_bytes_present < count * width;
    bad(path, tokens_at,
        "token_count " + std::to_string(count) + " × " + std::to_string(width) +
            " bytes = " + size_text(count, width, 0) + " bytes expected after the offsets, the file has " +
            std::to_string(token_bytes_present) + (truncated ? " (truncated)" : " (trailing bytes)"));
  }

  Documents d;
  d.offsets.resize(docs + 1);
  for (std::uint64_t i = 0; i <= docs; ++i) {
    const std::uint64_t at = kTokenFileHeaderBytes + 8 * i;
    d.offsets[i] = get<std::uint64_t>(in, at);
    if (i == 0 && d.offsets[0] != 0)
      bad(path, at, "the first document offset must be 0, got " + std::to_string(d.offsets[0]));
    if (i > 0 && d.offsets[i] < d.offsets[i - 1])
      bad(path, at,
          "document offset " + std::to_string(d.offsets[i]) + " (offset index " + std::to_string(i) +
              ") decreases (previous " + std::to_string(d.offsets[i - 1]) + ")");
  }
  if (d.offsets[docs] != count)
    bad(path, kTokenFileHeaderBytes + 8 * docs,
        "the last document offset " + std::to_string(d.offsets[docs]) + " must equal token_count " +
            std::to_string(count));

  d.tokens.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = tokens_at + i * width;
    const std::uint32_t t = width == 2 ? get<std::uint16_t>(in, at) : get<std::uint32_t>(in, at);
    if (t >= file_vocab) {  // file_vocab <= model_vocab: one comparison covers both rules
      if (t >= model_vocab)
        bad(path, at,
            "token " + std::to_string(t) + " (token index " + std::to_string(i) + ") >= vocab " +
                std::to_string(model_vocab) + " of the model");
      bad(path, at,
          "token " + std::to_string(t) + " (token index " + std::to_string(i) + ") >= vocab_size " +
              std::to_string(file_vocab) + " of the file header");
    }
    d.tokens[i] = t;
  }
  return d;
}

Documents read_token_files(const std::vector<std::string>& paths, std::uint32_t model_vocab) {
  Documents all;
  all.offsets.push_back(0);
  for (const std::string& p : paths) append_documents(all, read_token_file(p, model_vocab));
  return all;
}

}  // namespace ra::data

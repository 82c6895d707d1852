// Binary token files: round trips in both widths with the header checked byte by byte,
// and every refusal — exact one-line messages with the byte offset of the offending
// field — plus every truncation and byte corruption of a good file (refused or read
// back valid, never a crash).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/data/token_file.h"
#include "tests/data/temp_dir.h"

namespace ra::data {
namespace {

using testing::TempDir;

// Documents {5, 6, 7}, {} and {8, 9, 999, 1, 2}. As a uint16 file: offsets at 40, 48, 56,
// 64; tokens from byte 72, token i at 72 + 2·i (999 is token 5, at byte 82); 88 bytes.
Documents three_docs() {
  Documents d;
  d.tokens = {5, 6, 7, 8, 9, 999, 1, 2};
  d.offsets = {0, 3, 3, 8};
  return d;
}

std::uint64_t le(const std::string& bytes, std::size_t at, std::size_t n) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < n; ++i) x |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  return x;
}

std::string le_bytes(std::uint64_t x, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((x >> (8 * i)) & 0xffu));
  return out;
}

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    write_token_file(dir_.path("good.tok"), three_docs(), TokenWidth::kU16, 1000);
    good_ = dir_.read("good.tok");
    ASSERT_EQ(good_.size(), 88u);
  }
  // The good file with `n` little-endian bytes of `value` at byte `at`.
  std::string patched(std::size_t at, std::uint64_t value, std::size_t n) const {
    std::string b = good_;
    b.replace(at, n, le_bytes(value, n));
    return b;
  }
  // The message of reading `bytes` as file `name`, "" when it is accepted.
  std::string error_of(const std::string& name, const std::string& bytes, std::uint32_t model_vocab = 1000) const {
    dir_.write(name, bytes);
    return error_of_path(dir_.path(name), model_vocab);
  }
  static std::string error_of_path(const std::string& path, std::uint32_t model_vocab = 1000) {
    try {
      read_token_file(path, model_vocab);
    } catch (const InputDataError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
      EXPECT_EQ(e.exit_code(), ExitCode::kInputData);
      return e.what();
    }
    return "";
  }
  std::string at(const std::string& name, const std::string& rest) const { return dir_.path(name) + ": " + rest; }

  TempDir dir_;
  std::string good_;
};

TEST_F(TokenFile, Uint16RoundTripWithTheDocumentedHeader) {
  EXPECT_EQ(good_.substr(0, 8), "RATOKENS");
  EXPECT_EQ(le(good_, 8, 4), 1u);      // version
  EXPECT_EQ(le(good_, 12, 4), 2u);     // token_bytes
  EXPECT_EQ(le(good_, 16, 4), 1000u);  // vocab_size
  EXPECT_EQ(le(good_, 20, 4), 0u);     // reserved
  EXPECT_EQ(le(good_, 24, 8), 3u);     // doc_count
  EXPECT_EQ(le(good_, 32, 8), 8u);     // token_count
  const std::vector<std::uint64_t> offsets{le(good_, 40, 8), le(good_, 48, 8), le(good_, 56, 8), le(good_, 64, 8)};
  EXPECT_EQ(offsets, three_docs().offsets);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(le(good_, 72 + 2 * i, 2), three_docs().tokens[i]) << "token " << i;

  const Documents d = read_token_file(dir_.path("good.tok"), 1000);
  EXPECT_EQ(d.tokens, three_docs().tokens);
  EXPECT_EQ(d.offsets, three_docs().offsets);
}

TEST_F(TokenFile, Uint32RoundTripWithLargeIds) {
  Documents docs = three_docs();
  docs.tokens[2] = 4'000'000'000u;
  write_token_file(dir_.path("wide.tok"), docs, TokenWidth::kU32, 4'000'000'001u);
  const std::string bytes = dir_.read("wide.tok");
  ASSERT_EQ(bytes.size(), 40u + 32u + 4u * 8u);
  EXPECT_EQ(le(bytes, 12, 4), 4u);
  EXPECT_EQ(le(bytes, 72 + 4 * 2, 4), 4'000'000'000u);
  const Documents d = read_token_file(dir_.path("wide.tok"), 4'000'000'001u);
  EXPECT_EQ(d.tokens, docs.tokens);
  EXPECT_EQ(d.offsets, docs.offsets);
}

TEST_F(TokenFile, EmptyCorpusRoundTrips) {
  Documents none;
  none.offsets = {0};
  write_token_file(dir_.path("none.tok"), none, TokenWidth::kU16, 256);
  EXPECT_EQ(dir_.read("none.tok").size(), 48u);
  const Documents d = read_token_file(dir_.path("none.tok"), 256);
  EXPECT_EQ(d.count(), 0u);
  EXPECT_TRUE(d.tokens.empty());
}

TEST_F(TokenFile, SeveralFilesConcatenate) {
  Documents b;
  b.tokens = {1, 2};
  b.offsets = {0, 2};
  write_token_file(dir_.path("b.tok"), b, TokenWidth::kU32, 10);
  const Documents d = read_token_files({dir_.path("good.tok"), dir_.path("b.tok")}, 1000);
  EXPECT_EQ(d.tokens, (std::vector<std::uint32_t>{5, 6, 7, 8, 9, 999, 1, 2, 1, 2}));
  EXPECT_EQ(d.offsets, (std::vector<std::uint64_t>{0, 3, 3, 8, 10}));
}

TEST_F(TokenFile, RefusesATruncatedHeader) {
  EXPECT_EQ(error_of("empty.tok", ""),
            at("empty.tok", "byte 0: file is 0 bytes, shorter than the 40-byte header (truncated?)"));
  EXPECT_EQ(error_of("short.tok", good_.substr(0, 30)),
            at("short.tok", "byte 30: file is 30 bytes, shorter than the 40-byte header (truncated?)"));
}

TEST_F(TokenFile, RefusesWrongMagic) {
  std::string b = good_;
  b[7] = 'Z';
  EXPECT_EQ(error_of("magic.tok", b), at("magic.tok", "byte 0: magic is not \"RATOKENS\": not a ringattn token file"));
}

TEST_F(TokenFile, RefusesUnsupportedVersion) {
  EXPECT_EQ(error_of("v2.tok", patched(8, 2, 4)),
            at("v2.tok", "byte 8: version 2 is not supported (this ringattn reads version 1)"));
  EXPECT_EQ(error_of("v0.tok", patched(8, 0, 4)),
            at("v0.tok", "byte 8: version 0 is not supported (this ringattn reads version 1)"));
}

TEST_F(TokenFile, RefusesBadTokenBytes) {
  for (std::uint32_t w : {0u, 1u, 3u, 8u})
    EXPECT_EQ(error_of("width.tok", patched(12, w, 4)),
              at("width.tok", "byte 12: token_bytes " + std::to_string(w) + " must be 2 or 4"));
}

TEST_F(TokenFile, RefusesAFileVocabAboveTheModels) {
  EXPECT_EQ(error_of("vocab.tok", good_, 500),
            at("vocab.tok", "byte 16: vocab_size 1000 exceeds the model's vocab 500"));
}

TEST_F(TokenFile, RefusesANonZeroReservedField) {
  EXPECT_EQ(error_of("reserved.tok", patched(20, 7, 4)), at("reserved.tok", "byte 20: reserved field is 7, must be 0"));
}

TEST_F(TokenFile, RefusesADocCountBeyondTheFile) {
  EXPECT_EQ(error_of("docs.tok", patched(24, 0xffffff, 8)),
            at("docs.tok",
               "byte 24: doc_count 16777215: header and offsets need 40 + 8·(doc_count+1) = 134217768 bytes, "
               "the file is 88 (truncated?)"));
  // Sizes that overflow 64 bits are refused without wrapping around.
  EXPECT_EQ(error_of("docs_max.tok", patched(24, ~0ull, 8)),
            at("docs_max.tok",
               "byte 24: doc_count 18446744073709551615: header and offsets need 40 + 8·(doc_count+1) = "
               "more than 2^64 bytes, the file is 88 (truncated?)"));
  // Cut inside the offsets: 3 documents need 40 + 32 = 72 bytes.
  EXPECT_EQ(error_of("cut.tok", good_.substr(0, 60)),
            at("cut.tok",
               "byte 24: doc_count 3: header and offsets need 40 + 8·(doc_count+1) = 72 bytes, the file is 60 "
               "(truncated?)"));
}

TEST_F(TokenFile, RefusesTruncatedTokensAndTrailingBytes) {
  EXPECT_EQ(error_of("trunc.tok", good_.substr(0, 87)),
            at("trunc.tok",
               "byte 72: token_count 8 × 2 bytes = 16 bytes expected after the offsets, the file has 15 "
               "(truncated)"));
  EXPECT_EQ(error_of("trail.tok", good_ + "x"),
            at("trail.tok",
               "byte 72: token_count 8 × 2 bytes = 16 bytes expected after the offsets, the file has 17 "
               "(trailing bytes)"));
  EXPECT_EQ(error_of("count.tok", patched(32, 1ull << 63, 8)),
            at("count.tok",
               "byte 72: token_count 9223372036854775808 × 2 bytes = more than 2^64 bytes expected after the "
               "offsets, the file has 16 (truncated)"));
}

TEST_F(TokenFile, RefusesBadOffsets) {
  EXPECT_EQ(error_of("first.tok", patched(40, 1, 8)),
            at("first.tok", "byte 40: the first document offset must be 0, got 1"));
  // Offsets 0, 9, 3, 8: the third decreases.
  EXPECT_EQ(error_of("order.tok", patched(48, 9, 8)),
            at("order.tok", "byte 56: document offset 3 (offset index 2) decreases (previous 9)"));
  // Offsets 0, 3, 3, 7: non-decreasing, but the last is not token_count.
  EXPECT_EQ(error_of("last.tok", patched(64, 7, 8)),
            at("last.tok", "byte 64: the last document offset 7 must equal token_count 8"));
}

TEST_F(TokenFile, RefusesTokensOutsideTheVocab) {
  // Token 999 is token index 5, at byte 72 + 2·5 = 82. File vocab 999 = model vocab 999.
  EXPECT_EQ(error_of("model.tok", patched(16, 999, 4), 999),
            at("model.tok", "byte 82: token 999 (token index 5) >= vocab 999 of the model"));
  // The model would take it, the file's own header says it cannot occur.
  EXPECT_EQ(error_of("file.tok", patched(16, 500, 4), 1000),
            at("file.tok", "byte 82: token 999 (token index 5) >= vocab_size 500 of the file header"));
}

TEST_F(TokenFile, RefusesFilesThatCannotBeRead) {
  EXPECT_EQ(error_of_path(dir_.path("missing.tok")),
            dir_.path("missing.tok") + ": cannot open the token file (No such file or directory)");
  EXPECT_EQ(error_of_path(dir_.dir()), dir_.dir() + ": the token file is a directory, not a regular file");
  // A FIFO is refused without being opened: opening it would wait for a writer.
  ASSERT_EQ(::mkfifo(dir_.path("fifo.tok").c_str(), 0600), 0);
  EXPECT_EQ(error_of_path(dir_.path("fifo.tok")),
            dir_.path("fifo.tok") + ": the token file is a FIFO (named pipe), not a regular file");
}

TEST_F(TokenFile, EveryTruncationIsRefused) {
  for (std::size_t len = 0; len < good_.size(); ++len) {
    const std::string message = error_of("cut.tok", good_.substr(0, len));
    EXPECT_EQ(message.rfind(dir_.path("cut.tok") + ": byte ", 0), 0u) << "length " << len << ": " << message;
  }
}

TEST_F(TokenFile, EveryByteCorruptionIsRefusedOrReadsValid) {
  for (std::size_t pos = 0; pos < good_.size(); ++pos) {
    for (unsigned value : {0x00u, 0x01u, 0x7fu, 0x80u, 0xffu}) {
      std::string b = good_;
      b[pos] = static_cast<char>(value);
      dir_.write("fuzz.tok", b);
      try {
        const Documents d = read_token_file(dir_.path("fuzz.tok"), 1000);
        EXPECT_NO_THROW(check_documents(d, "fuzzed file")) << "byte " << pos << " = " << value;
        for (std::uint32_t t : d.tokens) EXPECT_LT(t, 1000u) << "byte " << pos << " = " << value;
      } catch (const InputDataError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(dir_.path("fuzz.tok") + ": byte ", 0), 0u) << e.what();
      }
    }
  }
}

// parse_token_file (what fuzz/token_file_fuzz feeds) is read_token_file without the
// file: the same documents and, byte for byte, the same message for every truncation and
// corruption of a good file.
TEST_F(TokenFile, ParsingBytesIsReadingTheFile) {
  const auto parsed_error = [](const std::string& name, const std::string& bytes) -> std::string {
    try {
      parse_token_file(name, bytes, 1000);
    } catch (const InputDataError& e) {
      return e.what();
    }
    return "";
  };
  const Documents d = parse_token_file("good.tok", good_, 1000);
  EXPECT_EQ(d.tokens, three_docs().tokens);
  EXPECT_EQ(d.offsets, three_docs().offsets);
  int refused = 0;
  for (std::size_t len = 0; len <= good_.size(); ++len) {
    const std::string bytes = good_.substr(0, len) + (len % 2 == 0 ? "" : "\xff");
    const std::string path = dir_.path("same.tok");
    const std::string read = error_of("same.tok", bytes);
    EXPECT_EQ(parsed_error(path, bytes), read) << "length " << len;
    refused += read.empty() ? 0 : 1;
  }
  EXPECT_GT(refused, 80);
}

TEST_F(TokenFile, WriterRefusesWhatTheReaderWould) {
  EXPECT_THROW(write_token_file(dir_.path("w.tok"), three_docs(), TokenWidth::kU16, 999), UsageError);  // 999 >= vocab
  Documents wide = three_docs();
  wide.tokens[0] = 70000;  // does not fit uint16
  EXPECT_THROW(write_token_file(dir_.path("w.tok"), wide, TokenWidth::kU16, 100000), UsageError);
  Documents bad = three_docs();
  bad.offsets = {0, 3, 2, 8};
  EXPECT_THROW(write_token_file(dir_.path("w.tok"), bad, TokenWidth::kU16, 1000), UsageError);
  bad.offsets = {0, 3};  // does not end at the token count
  EXPECT_THROW(write_token_file(dir_.path("w.tok"), bad, TokenWidth::kU16, 1000), UsageError);
  try {
    write_token_file(dir_.path("no_such_dir/w.tok"), three_docs(), TokenWidth::kU16, 1000);
    ADD_FAILURE() << "wrote into a missing directory";
  } catch (const InputDataError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir_.path("no_such_dir/w.tok") + ": cannot write the token file (No such file or directory)");
  }
}

}  // namespace
}  // namespace ra::data

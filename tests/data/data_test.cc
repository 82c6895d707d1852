// Training data: token files (round trips, every refusal with file and byte offset),
// text corpora, packing invariants against a brute-force model, determinism of batches,
// and the passkey layout.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "runtime/core/error.h"
#include "runtime/data/file_bytes.h"
#include "runtime/data/packing.h"
#include "runtime/data/passkey.h"
#include "runtime/data/text_corpus.h"
#include "runtime/data/token_file.h"

namespace ra::data {
namespace {

namespace fs = std::filesystem;

class DataFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ra_data_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  std::string read_bytes(const std::string& name) const { return read_file_bytes(path(name), "test file"); }
  std::string error_of(const std::string& name, std::uint32_t vocab = 1000) const {
    try {
      read_token_file(path(name), vocab);
    } catch (const InputDataError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

Documents three_docs() {
  Documents d;
  d.tokens = {5, 6, 7, 8, 9, 999, 1, 2};
  d.offsets = {0, 3, 3, 8};  // the middle document is empty
  return d;
}

TEST_F(DataFiles, TokenFilesRoundTripInBothWidths) {
  for (TokenWidth w : {TokenWidth::kU16, TokenWidth::kU32}) {
    write_token_file(path("a.tok"), three_docs(), w, 1000);
    const Documents d = read_token_file(path("a.tok"), 1000);
    EXPECT_EQ(d.tokens, three_docs().tokens);
    EXPECT_EQ(d.offsets, three_docs().offsets);
    EXPECT_EQ(fs::file_size(path("a.tok")), 40 + 8 * 4 + 8 * static_cast<std::uint32_t>(w));
  }
}

TEST_F(DataFiles, EveryBadFileIsRefusedWithItsByteOffset) {
  write_token_file(path("good.tok"), three_docs(), TokenWidth::kU16, 1000);
  const std::string good = read_bytes("good.tok");
  auto with = [&](std::size_t at, const std::string& bytes) {
    std::string b = good;
    b.replace(at, bytes.size(), bytes);
    return b;
  };
  write_bytes("short_header.tok", good.substr(0, 30));
  EXPECT_NE(error_of("short_header.tok").find("short_header.tok: byte 30: file is 30 bytes, shorter than the 40-byte header"),
            std::string::npos);
  write_bytes("magic.tok", with(0, "RATOKENZ"));
  EXPECT_NE(error_of("magic.tok").find("magic.tok: byte 0: magic is not"), std::string::npos);
  write_bytes("version.tok", with(8, std::string("\x02\0\0\0", 4)));
  EXPECT_NE(error_of("version.tok").find("version.tok: byte 8: version 2 is not supported"), std::string::npos);
  write_bytes("width.tok", with(12, std::string("\x03\0\0\0", 4)));
  EXPECT_NE(error_of("width.tok").find("width.tok: byte 12: token_bytes 3 must be 2 or 4"), std::string::npos);
  EXPECT_NE(error_of("good.tok", 500).find("good.tok: byte 16: vocab_size 1000 exceeds the model's vocab 500"),
            std::string::npos);
  write_bytes("truncated.tok", good.substr(0, good.size() - 1));
  EXPECT_NE(error_of("truncated.tok").find("truncated.tok: byte 72: token_count 8"), std::string::npos)
      << error_of("truncated.tok");
  EXPECT_NE(error_of("truncated.tok").find("(truncated)"), std::string::npos);
  write_bytes("docs.tok", with(24, std::string("\xff\xff\xff\0\0\0\0\0", 8)));
  EXPECT_NE(error_of("docs.tok").find("docs.tok: byte 24: doc_count 16777215 needs"), std::string::npos)
      << error_of("docs.tok");
  write_bytes("order.tok", with(48, std::string("\x09\0\0\0\0\0\0\0", 8)));  // offsets 0, 9, 3, 8
  EXPECT_NE(error_of("order.tok").find("order.tok: byte 56: document offset 3 decreases (previous 9)"), std::string::npos)
      << error_of("order.tok");
  // Token 999 (index 5, at byte 72 + 2·5 = 82) does not fit a model of vocab 999; the file's vocab 1000 is refused first.
  write_bytes("vocab.tok", with(16, std::string("\xe7\x03\0\0", 4)));  // file vocab 999
  EXPECT_NE(error_of("vocab.tok", 999).find("vocab.tok: byte 82: token 999 (token index 5) >= vocab 999 of the model"),
            std::string::npos)
      << error_of("vocab.tok", 999);
  EXPECT_NE(error_of("missing.tok").find("missing.tok: cannot open the token file"), std::string::npos);
}

TEST_F(DataFiles, TextFilesAreByteDocuments) {
  write_bytes("a.txt", "hi\n");
  write_bytes("b.txt", std::string("\xff", 1));
  const Documents d = read_text_documents({path("a.txt"), path("b.txt")});
  EXPECT_EQ(d.tokens, (std::vector<std::uint32_t>{'h', 'i', '\n', 255}));
  EXPECT_EQ(d.offsets, (std::vector<std::uint64_t>{0, 3, 4}));
  write_bytes("empty.txt", "");
  EXPECT_THROW(read_text_documents({path("empty.txt")}), InputDataError);
  EXPECT_THROW(read_text_documents({path("none.txt")}), InputDataError);
}

// Brute force: every non-padding token is some document's token, its target is the next
// token of that document within the same sequence, positions count from the piece's
// start, segments change exactly where documents do, padding only at the end.
TEST(Packing, InvariantsAgainstBruteForce) {
  Documents d;
  d.offsets = {0};
  for (std::uint32_t doc = 0; doc < 9; ++doc) {
    for (std::uint32_t i = 0; i < 3 + 5 * (doc % 4); ++i) d.tokens.push_back(doc * 100 + i);
    d.offsets.push_back(d.tokens.size());
  }
  const std::int64_t L = 16;
  const PackedCorpus corpus(d, L, 42);
  const std::int64_t n_seq = corpus.sequences_per_epoch() * 2;  // two epochs
  std::multiset<std::uint32_t> seen_epoch0;
  for (std::int64_t k = 0; k < n_seq; ++k) {
    const SequenceBatch b = corpus.batch(k, 1);
    bool padding = false;
    for (std::int64_t i = 0; i < L; ++i) {
      const auto at = static_cast<std::size_t>(i);
      if (b.segments[at] < 0) {
        padding = true;
        EXPECT_EQ(b.targets[at], -1);
        continue;
      }
      ASSERT_FALSE(padding) << "padding before a real token in sequence " << k;
      const std::uint32_t tok = static_cast<std::uint32_t>(b.tokens[at]), doc = tok / 100, idx = tok % 100;
      if (k < corpus.sequences_per_epoch()) seen_epoch0.insert(tok);
      const bool starts_piece = i == 0 || b.segments[at - 1] != b.segments[at];
      if (starts_piece) {
        EXPECT_EQ(b.positions[at], 0);
      } else {
        EXPECT_EQ(b.positions[at], b.positions[at - 1] + 1);
        EXPECT_EQ(static_cast<std::uint32_t>(b.tokens[at - 1]), tok - 1) << "a segment is one document";
      }
      const std::uint32_t doc_len = static_cast<std::uint32_t>(d.offsets[doc + 1] - d.offsets[doc]);
      const bool next_in_sequence = i + 1 < L && b.segments[at + 1] == b.segments[at];
      if (next_in_sequence) {
        EXPECT_EQ(b.targets[at], static_cast<std::int32_t>(tok + 1));
      } else {
        EXPECT_EQ(b.targets[at], -1) << "no target across documents or sequences";
      }
      EXPECT_LT(idx, doc_len);
    }
  }
  EXPECT_EQ(seen_epoch0.size(), d.tokens.size()) << "an epoch holds every token once";
  EXPECT_EQ(std::set<std::uint32_t>(seen_epoch0.begin(), seen_epoch0.end()).size(), d.tokens.size());
}

TEST(Packing, BatchesAreAPureFunctionOfTheirIndex) {
  Documents d;
  d.offsets = {0};
  for (std::uint32_t i = 0; i < 500; ++i) {
    d.tokens.push_back(i % 97);
    if (i % 37 == 36) d.offsets.push_back(d.tokens.size());
  }
  d.offsets.push_back(d.tokens.size());
  const PackedCorpus a(d, 32, 7), b(d, 32, 7), c(d, 32, 8);
  const SequenceBatch x = a.batch(40, 4);
  a.batch(3, 2);  // another epoch in between: no state leaks into later batches
  EXPECT_EQ(x.tokens, a.batch(40, 4).tokens);
  EXPECT_EQ(x.tokens, b.batch(40, 4).tokens);
  EXPECT_NE(x.tokens, c.batch(40, 4).tokens) << "the seed changes the order";
  EXPECT_NE(x.tokens, a.batch(44, 4).tokens);
}

TEST(Passkey, LayoutAndTargets) {
  const PasskeyOptions o{64, 5, 3};
  const SequenceBatch b = passkey_batch(o, 1, 10, 3);
  ASSERT_EQ(b.tokens.size(), 3u * 64);
  for (std::int64_t r = 0; r < 3; ++r) {
    const std::int32_t* t = b.tokens.data() + r * 64;
    const std::int32_t* y = b.targets.data() + r * 64;
    EXPECT_EQ(t[0], '#');
    EXPECT_EQ(t[58], '?');
    int targets = 0;
    for (std::int64_t i = 0; i < 64; ++i) {
      if (i >= 1 && i <= 5) {
        EXPECT_TRUE(t[i] >= '0' && t[i] <= '9');
        EXPECT_EQ(t[58 + i], t[i]) << "the key is repeated after the question";
        EXPECT_EQ(y[57 + i], t[i]) << "the answer positions predict the key";
      } else if (i > 5 && i < 58) {
        EXPECT_TRUE(t[i] >= 'a' && t[i] <= 'z');
      }
      targets += y[i] >= 0 ? 1 : 0;
    }
    EXPECT_EQ(targets, 5) << "only the answer has targets";
  }
  EXPECT_EQ(passkey_batch(o, 1, 10, 3).tokens, b.tokens);
  EXPECT_NE(passkey_batch(o, 2, 10, 3).tokens, b.tokens) << "evaluation stream differs from training";
  EXPECT_THROW(passkey_batch({12, 5, 1}, 1, 0, 1), UsageError);
}

}  // namespace
}  // namespace ra::data

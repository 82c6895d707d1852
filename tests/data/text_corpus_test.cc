// Byte-level text: one document per file, one token per byte (every byte value, no
// special handling of newlines or NUL), files in the order given; unreadable or empty
// files refused with the file named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/data/text_corpus.h"
#include "tests/data/temp_dir.h"

namespace ra::data {
namespace {

using testing::TempDir;

std::string message_of(const std::vector<std::string>& files) {
  try {
    read_text_documents(files);
  } catch (const InputDataError& e) {
    return e.what();
  }
  return "";
}

TEST(TextCorpus, EachFileIsADocumentOfItsBytes) {
  const TempDir dir;
  const std::string a = dir.write("a.txt", "hi\n");
  const std::string b = dir.write("b.txt", std::string("\xff\0\x80", 3));
  const std::string c = dir.write("c.txt", "z");
  const Documents d = read_text_documents({b, a, c});
  EXPECT_EQ(d.tokens, (std::vector<std::uint32_t>{255, 0, 128, 'h', 'i', '\n', 'z'}));
  EXPECT_EQ(d.offsets, (std::vector<std::uint64_t>{0, 3, 6, 7}));
  EXPECT_EQ(d.count(), 3u);
  for (std::uint32_t t : d.tokens) EXPECT_LT(t, kByteVocab);
}

TEST(TextCorpus, LargeFileIsReadWhole) {
  const TempDir dir;
  std::string text;
  for (int i = 0; i < 200'000; ++i) text.push_back(static_cast<char>('a' + i % 26));  // beyond one read buffer
  const Documents d = read_text_documents({dir.write("big.txt", text)});
  ASSERT_EQ(d.tokens.size(), text.size());
  EXPECT_EQ(d.tokens.back(), static_cast<std::uint32_t>(text.back()));
}

TEST(TextCorpus, NoFilesIsAnEmptyCorpus) {
  const Documents d = read_text_documents({});
  EXPECT_EQ(d.count(), 0u);
  EXPECT_EQ(d.offsets, (std::vector<std::uint64_t>{0}));
}

TEST(TextCorpus, RefusesEmptyAndUnreadableFiles) {
  const TempDir dir;
  const std::string empty = dir.write("empty.txt", "");
  EXPECT_EQ(message_of({empty}), empty + ": byte 0: the text file is empty (a document needs a token)");
  EXPECT_EQ(message_of({dir.path("none.txt")}),
            dir.path("none.txt") + ": cannot open the text file (No such file or directory)");
  EXPECT_EQ(message_of({dir.dir()}), dir.dir() + ": the text file is a directory, not a regular file");
}

}  // namespace
}  // namespace ra::data

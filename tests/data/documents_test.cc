// Documents: the offset invariants every consumer relies on, and concatenation.
#include <gtest/gtest.h>

#include "runtime/core/error.h"
#include "runtime/data/documents.h"

namespace ra::data {
namespace {

Documents docs(std::vector<std::uint32_t> tokens, std::vector<std::uint64_t> offsets) {
  Documents d;
  d.tokens = std::move(tokens);
  d.offsets = std::move(offsets);
  return d;
}

TEST(Documents, CheckAcceptsValidOffsetsOnly) {
  EXPECT_NO_THROW(check_documents(docs({}, {0}), "none"));
  EXPECT_NO_THROW(check_documents(docs({1, 2, 3}, {0, 0, 3, 3}), "with empty documents"));
  EXPECT_THROW(check_documents(docs({}, {}), "no offsets"), UsageError);
  EXPECT_THROW(check_documents(docs({1}, {1, 1}), "first not 0"), UsageError);
  EXPECT_THROW(check_documents(docs({1, 2}, {0, 2, 1, 2}), "decreasing"), UsageError);
  EXPECT_THROW(check_documents(docs({1, 2}, {0, 1}), "last not the token count"), UsageError);
}

TEST(Documents, AppendShiftsOffsets) {
  Documents all;
  append_documents(all, docs({1, 2}, {0, 2}));
  append_documents(all, docs({}, {0, 0}));
  append_documents(all, docs({3, 4, 5}, {0, 1, 3}));
  EXPECT_EQ(all.tokens, (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(all.offsets, (std::vector<std::uint64_t>{0, 2, 2, 3, 5}));
  EXPECT_THROW(append_documents(all, docs({1}, {0})), UsageError);
}

}  // namespace
}  // namespace ra::data

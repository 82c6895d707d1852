#include "runtime/data/documents.h"

#include "runtime/core/check.h"

namespace ra::data {

void check_documents(const Documents& docs, const char* what) {
  RA_CHECK(UsageError, !docs.offsets.empty(), what, ": documents need offsets (at least {0})");
  RA_CHECK(UsageError, docs.offsets.front() == 0, what, ": the first document offset is ", docs.offsets.front(),
           ", not 0");
  for (std::size_t i = 1; i < docs.offsets.size(); ++i)
    RA_CHECK(UsageError, docs.offsets[i] >= docs.offsets[i - 1], what, ": document offset ", i, " = ", docs.offsets[i],
             " decreases (previous ", docs.offsets[i - 1], ")");
  RA_CHECK(UsageError, docs.offsets.back() == docs.tokens.size(), what, ": the last document offset ",
           docs.offsets.back(), " is not the token count ", docs.tokens.size());
}

void append_documents(Documents& all, const Documents& more) {
  check_documents(more, "appended documents");
  if (all.offsets.empty()) {
    RA_CHECK(UsageError, all.tokens.empty(), "documents with tokens but no offsets");
    all.offsets.push_back(0);
  }
  const std::uint64_t base = all.tokens.size();
  for (std::size_t i = 1; i < more.offsets.size(); ++i) all.offsets.push_back(base + more.offsets[i]);
  all.tokens.insert(all.tokens.end(), more.tokens.begin(), more.tokens.end());
}

}  // namespace ra::data

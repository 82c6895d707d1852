// What every fuzz target shares: the verdict on an exception. The product's documented
// error for bad input (the type each target names) is the expected outcome and is
// swallowed; anything else is a finding and aborts, so libFuzzer reports it with the
// input: ra::InternalError (a broken invariant, RA_CHECK(InternalError, ...)), another
// ra::Error type than the parser documents, or a non-ra exception (std::bad_alloc,
// std::out_of_range, YAML::Exception escaping the loader, ...), or a refusal whose
// message is empty, not one line or not valid UTF-8. Crashes, ASan and UBSan
// reports abort by themselves.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>
#include <typeinfo>

#include "runtime/core/error.h"
#include "runtime/core/printable.h"

namespace ra::fuzz {

[[noreturn]] inline void finding(const char* what, const char* type) {
  std::fprintf(stderr, "FUZZ FINDING: unexpected exception %s: %s\n", type, what);
  std::abort();
}

// Runs body(); an Expected (or a subclass) is the parser refusing bad input.
template <typename Expected, typename Body>
void expect_only(Body&& body) {
  try {
    body();
    if (std::getenv("RA_FUZZ_VERBOSE") != nullptr) std::fprintf(stderr, "accepted\n");
  } catch (const Expected& e) {
    // The documented refusal: one line (docs/errors.md: user text in a message is made
    // printable, so a report is exactly one line), never empty.
    if (e.what()[0] == '\0') finding("(empty message)", typeid(e).name());
    if (std::strchr(e.what(), '\n') != nullptr || std::strchr(e.what(), '\r') != nullptr)
      finding(e.what(), "refusal message of more than one line");
    // ... and valid UTF-8 (printable() escapes what is not), whatever bytes came in.
    const std::string_view what(e.what());
    for (std::size_t i = 0; i < what.size();) {
      const std::size_t n = ra::utf8_sequence_bytes(what, i);
      if (n == 0) finding(e.what(), "refusal message that is not valid UTF-8");
      i += n;
    }
    // RA_FUZZ_VERBOSE=1: print each refusal (to see what a seed or reproducer reaches).
    static const bool verbose = std::getenv("RA_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
  } catch (const ra::Error& e) {
    finding(e.what(), typeid(e).name());
  } catch (const std::exception& e) {
    finding(e.what(), typeid(e).name());
  } catch (...) {
    finding("(not a std::exception)", "unknown");
  }
}

}  // namespace ra::fuzz

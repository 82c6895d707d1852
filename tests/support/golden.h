// The independent golden cases of tests/golden/attention (format in its README):
// f64 results from another implementation, for every implementation of the semantics.
#pragma once

#include <filesystem>
#include <vector>

#include "tests/support/attention_case.h"

namespace ra::testing {

struct Golden {
  AttnCase c;
  AttnResult<double> expected;  // with *_mag from our f64 reference (the golden files carry values only)
};

// The configured directory (-DRA_GOLDEN_DIR), overridable at run time by $RA_GOLDEN_DIR.
std::filesystem::path golden_dir();
// The case folders, sorted; empty when the directory is absent.
std::vector<std::filesystem::path> golden_cases();
Golden load_golden(const std::filesystem::path& dir);

}  // namespace ra::testing

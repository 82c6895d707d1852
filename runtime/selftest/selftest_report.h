// The self-test's report: one row per case with the max error of every output, the
// worst error as a fraction of its tolerance, and PASS/FAIL; then throughput rows.
#pragma once

#include <string>
#include <vector>

#include "runtime/selftest/attention_selftest.h"
#include "runtime/selftest/selftest_timing.h"

namespace ra::selftest {

std::string correctness_table(const std::vector<SelftestResult>& results);
std::string throughput_table(const std::vector<ThroughputResult>& results);

}  // namespace ra::selftest

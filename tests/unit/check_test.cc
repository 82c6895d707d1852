#include <gtest/gtest.h>

#include "runtime/core/check.h"

namespace ra {
namespace {

TEST(Check, MessageNamesFileLineExpressionAndBothValues) {
  const int heads = 6, kv = 4;
  try {
    RA_CHECK_EQ(UsageError, heads % kv, 0, "heads ", heads, " kv ", kv);
    FAIL() << "no throw";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("check_test.cc:"), std::string::npos) << m;
    EXPECT_NE(m.find("heads % kv == 0 (2 vs 0)"), std::string::npos) << m;
    EXPECT_NE(m.find("heads 6 kv 4"), std::string::npos) << m;
  }
}

TEST(Check, ErrorTypeCarriesExitCode) {
  auto code_of = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return exit_status(e);
    }
    return -1;
  };
  EXPECT_EQ(code_of([] { RA_CHECK(UsageError, 1 > 2); }), 2);
  EXPECT_EQ(code_of([] { RA_CHECK(InputDataError, 1 > 2); }), 3);
  EXPECT_EQ(code_of([] { RA_CHECK_LT(PeerError, 5, 3); }), 4);
  EXPECT_EQ(code_of([] { RA_CHECK_GE(CheckpointError, 1, 3); }), 5);
  EXPECT_EQ(code_of([] { RA_CHECK_NE(InternalError, 3, 3); }), 70);
  EXPECT_EQ(code_of([] { RA_CHECK_LE(UsageError, 1, 3); }), -1);
}

TEST(Check, Int8PrintsAsNumber) {
  const signed char a = 7;
  try {
    RA_CHECK_EQ(InternalError, a, static_cast<signed char>(9));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(7 vs 9)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ra

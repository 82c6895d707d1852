// The root refusal is a pure decision: root without permission is refused with a reason
// that names both ways to allow it; anyone else, or root with permission, goes on.
#include <gtest/gtest.h>

#include "launch/root_guard.h"

namespace ra::launch {
namespace {

TEST(RootGuard, RefusesRootUnlessAllowed) {
  const std::string why = root_refusal(0, RootPermission::kNotGiven);
  EXPECT_NE(why.find("refusing to run as root"), std::string::npos);
  EXPECT_NE(why.find("--allow-root"), std::string::npos);
  EXPECT_NE(why.find("RINGATTN_ALLOW_ROOT=1"), std::string::npos);
  EXPECT_EQ(root_refusal(0, RootPermission::kGiven), "");
  EXPECT_EQ(root_refusal(1000, RootPermission::kNotGiven), "");
  EXPECT_EQ(root_refusal(1000, RootPermission::kGiven), "");
}

}  // namespace
}  // namespace ra::launch

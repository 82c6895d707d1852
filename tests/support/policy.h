// GoogleTest assertion of the numerics policy over all five outputs of a case.
#pragma once

#include <gtest/gtest.h>

#include "tests/support/attention_case.h"
#include "tests/support/tolerance.h"

namespace ra::testing {

// Passes when O, LSE, dQ, dK and dV all meet the policy; the failure message lists every
// tensor with its max error, where it occurred, and the bound. ref64 must carry the
// *_mag tensors (naive_attention<double> fills them).
::testing::AssertionResult meets_policy(const AttnCase& c, const AttnResult<float>& impl,
                                        const AttnResult<double>& ref64, const AttnResult<float>& naive);

}  // namespace ra::testing

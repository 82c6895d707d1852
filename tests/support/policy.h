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

// The same with P and dS rounded to a 16-bit type of unit roundoff u before their
// products (FlashAttention's precision; CUDA MmaPrecision::kFast): each floor grows by
// rounded_product_floor(u, the reference's *_mag16) — O, dQ, dK, dV; LSE is unchanged
// (the row sums stay fp32). u = 0 is the policy above.
::testing::AssertionResult meets_policy_rounded_products(const AttnCase& c, const AttnResult<float>& impl,
                                                         const AttnResult<double>& ref64,
                                                         const AttnResult<float>& naive, double unit_roundoff);

}  // namespace ra::testing

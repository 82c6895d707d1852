#include "tests/support/policy.h"

namespace ra::testing {

::testing::AssertionResult meets_policy(const AttnCase& c, const AttnResult<float>& impl,
                                        const AttnResult<double>& ref64, const AttnResult<float>& naive) {
  return meets_policy_rounded_products(c, impl, ref64, naive, 0.0);
}

::testing::AssertionResult meets_policy_rounded_products(const AttnCase& c, const AttnResult<float>& impl,
                                                         const AttnResult<double>& ref64,
                                                         const AttnResult<float>& naive, double u) {
  const double o16 = rounded_product_floor(u, ref64.o_mag16), dq16 = rounded_product_floor(u, ref64.dq_mag16),
               dk16 = rounded_product_floor(u, ref64.dk_mag16), dv16 = rounded_product_floor(u, ref64.dv_mag16);
  struct Item {
    const char* name;
    const std::vector<float>& impl;
    const std::vector<double>& ref;
    const std::vector<float>& naive;
    std::vector<std::int64_t> shape;
    double floor;
  };
  const Item items[] = {
      {"O", impl.o, ref64.o, naive.o, {c.lq, c.hq, c.d}, output_floor(ref64.o) + o16},
      {"LSE", impl.lse, ref64.lse, naive.lse, {c.hq, c.lq}, output_floor(ref64.lse)},
      {"dQ", impl.dq, ref64.dq, naive.dq, {c.lq, c.hq, c.d}, gradient_floor(ref64.dq_mag) + dq16},
      {"dK", impl.dk, ref64.dk, naive.dk, {c.lk, c.hkv, c.d}, gradient_floor(ref64.dk_mag) + dk16},
      {"dV", impl.dv, ref64.dv, naive.dv, {c.lk, c.hkv, c.d}, gradient_floor(ref64.dv_mag) + dv16},
  };
  bool ok = true;
  std::string msg = c.name + (u > 0 ? " (16-bit P and dS, u = " + std::to_string(u) + ")" : std::string()) + ":";
  for (const Item& it : items) {
    const Comparison cmp = compare_to_reference(it.impl, it.ref, it.naive, it.floor);
    if (!cmp.ok) {
      ok = false;
      msg += "\n  " + describe(it.name, cmp, it.shape, it.impl, it.ref);
    }
  }
  return ok ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << msg;
}

}  // namespace ra::testing

#include "tests/support/policy.h"

namespace ra::testing {

::testing::AssertionResult meets_policy(const AttnCase& c, const AttnResult<float>& impl,
                                        const AttnResult<double>& ref64, const AttnResult<float>& naive) {
  struct Item {
    const char* name;
    const std::vector<float>& impl;
    const std::vector<double>& ref;
    const std::vector<float>& naive;
    std::vector<std::int64_t> shape;
    double floor;
  };
  const Item items[] = {
      {"O", impl.o, ref64.o, naive.o, {c.lq, c.hq, c.d}, output_floor(ref64.o)},   {"LSE", impl.lse, ref64.lse, naive.lse, {c.hq, c.lq}, output_floor(ref64.lse)},
      {"dQ", impl.dq, ref64.dq, naive.dq, {c.lq, c.hq, c.d}, gradient_floor(ref64.dq_mag)}, {"dK", impl.dk, ref64.dk, naive.dk, {c.lk, c.hkv, c.d}, gradient_floor(ref64.dk_mag)},
      {"dV", impl.dv, ref64.dv, naive.dv, {c.lk, c.hkv, c.d}, gradient_floor(ref64.dv_mag)},
  };
  bool ok = true;
  std::string msg = c.name + ":";
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

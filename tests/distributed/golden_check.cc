// Checks the output directory of `ringattn attention` against a golden case under the
// numerics policy: golden_check <golden_case_dir> <out_dir> [bf16]. Exit 0 when O, LSE,
// dQ, dK and dV all pass; 1 with the policy's report (max error, where, bound) otherwise.
// With bf16 (a run with --dtype bf16) the reference is our f64 reference on the golden
// inputs rounded to bf16, as the tool rounds them, with the policy for bf16 storage.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "kernels/reference/naive_attention.h"
#include "runtime/io/npy.h"
#include "tests/support/attention_case.h"
#include "tests/support/golden.h"
#include "tests/support/policy.h"

int main(int argc, char** argv) {
  const bool bf16 = argc == 4 && std::string(argv[3]) == "bf16";
  if (argc != 3 && !bf16) {
    std::cerr << "usage: golden_check <golden_case_dir> <out_dir> [bf16]\n";
    return 2;
  }
  ra::testing::Golden g = ra::testing::load_golden(argv[1]);
  if (bf16) {
    g.c.storage = ra::DType::kBF16;
    for (auto* t : {&g.c.q, &g.c.k, &g.c.v, &g.c.dout})
      for (float& x : *t) x = ra::testing::round_to_storage(x, ra::DType::kBF16);
    g.expected = ra::testing::naive_attention<double>(g.c);
  }
  const std::string out = argv[2];
  ra::testing::AttnResult<float> impl;
  auto read = [&](const char* name, const std::vector<std::int64_t>& shape) {
    const ra::io::NpyArray a = ra::io::read_npy(out + "/" + name);
    if (a.shape != shape) throw std::runtime_error(std::string(name) + ": shape " + a.shape_str());
    return a.to_f32();
  };
  impl.o = read("o.npy", {g.c.lq, g.c.hq, g.c.d});
  impl.lse = read("lse.npy", {g.c.hq, g.c.lq});
  impl.dq = read("dq.npy", {g.c.lq, g.c.hq, g.c.d});
  impl.dk = read("dk.npy", {g.c.lk, g.c.hkv, g.c.d});
  impl.dv = read("dv.npy", {g.c.lk, g.c.hkv, g.c.d});
  const ::testing::AssertionResult ok =
      ra::testing::meets_policy(g.c, impl, g.expected, ra::testing::naive_attention<float>(g.c));
  if (!ok) {
    std::cout << g.c.name << ": FAIL " << ok.message() << "\n";
    return 1;
  }
  std::cout << g.c.name << ": ok\n";
  return 0;
}

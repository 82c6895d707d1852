// Bad arguments to the block operation: a ra::UsageError (exit code 2) whose message
// names the argument and the values, never a crash or a silent overrun.
#include <gtest/gtest.h>

#include <functional>

#include "kernels/cpu/cpu_attention.h"
#include "runtime/core/tensor_view.h"

namespace ra::kernels {
namespace {

struct Fixture {
  static constexpr std::size_t lq = 8, lk = 8, hq = 4, hkv = 2, d = 16;
  HostBuffer q{lq * hq * d * 4}, k{lk * hkv * d * 4}, v{lk * hkv * d * 4}, acc{lq * hq * d * 4}, mx{hq * lq * 4},
      sm{hq * lq * 4}, pos{lq * 4}, seg{lq * 4}, alibi{hq * 4};
  Fixture() {
    for (auto* b : {&q, &k, &v, &acc, &mx, &sm, &pos, &seg, &alibi}) b->fill_zero();
  }
  ForwardArgs args() {
    ForwardArgs a;
    a.q = q.view(DType::kF32, Shape{8, 4, 16});
    a.k = k.view(DType::kF32, Shape{8, 2, 16});
    a.v = v.view(DType::kF32, Shape{8, 2, 16});
    a.q_meta = {pos.view(DType::kI32, Shape{8}), seg.view(DType::kI32, Shape{8})};
    a.k_meta = {pos.view(DType::kI32, Shape{8}), seg.view(DType::kI32, Shape{8})};
    a.mask.scale = 0.25f;
    a.state = {acc.view(DType::kF32, Shape{8, 4, 16}), mx.view(DType::kF32, Shape{4, 8}),
               sm.view(DType::kF32, Shape{4, 8})};
    return a;
  }
};

void expect_usage_error(const std::function<void()>& fn, const std::vector<std::string>& must_mention) {
  try {
    fn();
    ADD_FAILURE() << "no error raised";
  } catch (const UsageError& e) {
    EXPECT_EQ(exit_status(e), 2);
    const std::string msg = e.what();
    for (const std::string& s : must_mention)
      EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
  }
}

TEST(BadInput, ValidArgumentsRun) {
  Fixture f;
  cpu::CpuAttention op({});
  EXPECT_NO_THROW(op.forward_accumulate(f.args()));
}

TEST(BadInput, HeadsNotAMultiple) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.k = f.k.view(DType::kF32, Shape{4, 3, 16});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"multiple of kv heads", "4", "3"});
}

TEST(BadInput, MismatchedHeadDim) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.k = f.k.view(DType::kF32, Shape{16, 2, 8});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"head_dim of 'k'", "8 vs 16"});
}

TEST(BadInput, UnsupportedHeadDim) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  HostBuffer big(8 * 4 * 1024 * 4), bigkv(8 * 2 * 1024 * 4), bigacc(8 * 4 * 1024 * 4);
  a.q = big.view(DType::kF32, Shape{8, 4, 1024});
  a.k = bigkv.view(DType::kF32, Shape{8, 2, 1024});
  a.v = a.k;
  a.state.acc = bigacc.view(DType::kF32, Shape{8, 4, 1024});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"head_dim 1024", "supported"});
}

TEST(BadInput, MetadataOfWrongLength) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.k_meta.pos = f.pos.view(DType::kI32, Shape{5});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"k_meta.pos", "[5]", "[8]"});
}

TEST(BadInput, WrongDtypes) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.q_meta.seg = f.seg.view(DType::kF32, Shape{8});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"q_meta.seg", "f32", "i32"});
  a = f.args();
  a.v = f.v.view(DType::kBF16, Shape{8, 2, 16});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"'v'", "bf16", "f32"});
}

TEST(BadInput, StateOfWrongShape) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.state.row_max = f.mx.view(DType::kF32, Shape{8, 4});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"state.row_max", "[8, 4]", "[4, 8]"});
}

TEST(BadInput, ShortBufferIsRefusedWhenViewed) {
  HostBuffer small(100);
  expect_usage_error([&] { (void)small.view(DType::kF32, Shape{8, 4}); }, {"[8, 4]", "128 vs 100", "does not fit"});
}

TEST(BadInput, BadScaleWindowAndAlibi) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.mask.scale = NAN;
  expect_usage_error([&] { op.forward_accumulate(a); }, {"softmax scale"});
  a = f.args();
  a.mask.rule.window = -1;
  expect_usage_error([&] { op.forward_accumulate(a); }, {"sliding window", "-1"});
  a = f.args();
  a.mask.alibi_slopes = f.alibi.view(DType::kF32, Shape{3});
  expect_usage_error([&] { op.forward_accumulate(a); }, {"alibi_slopes", "[3]", "[4]"});
}

TEST(BadInput, MissingArgument) {
  Fixture f;
  cpu::CpuAttention op({});
  ForwardArgs a = f.args();
  a.v = ConstTensorView();
  expect_usage_error([&] { op.forward_accumulate(a); }, {"'v'", "missing"});
}

TEST(BadInput, BadThreadCountAndTiles) {
  cpu::CpuAttentionOptions o;
  o.threads = 0;
  expect_usage_error([&] { cpu::CpuAttention op(o); }, {"thread count"});
  o.threads = 1;
  o.forward.q_rows = 0;
  expect_usage_error([&] { cpu::CpuAttention op(o); }, {"forward query tile rows"});
}

}  // namespace
}  // namespace ra::kernels

// train_memory's placements (runtime/plan/memory_model.h): the cpu backend keeps
// everything in host memory — the ring's buffers too, since its "device" is the host —
// and has no bf16 staging and no device copy of the logits; the device placement has
// both. The ring's K/V term is recomputed here from its definition (K and V in the
// storage dtype plus int32 positions and segments, double-buffered), not taken from the
// code under test.
#include "runtime/plan/memory_model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>

namespace ra::plan {
namespace {

TrainShape shape(TrainPlacement placement) {
  TrainShape s;
  s.model.vocab = 256;
  s.model.d_model = 64;
  s.model.layers = 2;
  s.model.heads = 4;
  s.model.kv_heads = 4;
  s.model.head_dim = 16;
  s.model.mlp_hidden = 128;
  s.tokens = 4096;
  s.eval_tokens = 4096;
  s.placement = placement;
  return s;
}

const MemoryTerm* find(const MemoryEstimate& m, const std::string& prefix) {
  for (const MemoryTerm& t : m.terms)
    if (t.name.rfind(prefix, 0) == 0) return &t;
  return nullptr;
}

TEST(TrainMemory, TheCpuBackendHoldsEverythingInHostMemory) {
  const MemoryEstimate m = train_memory(shape(TrainPlacement::kHost));
  for (const MemoryTerm& t : m.terms) EXPECT_EQ(t.where, Residence::kHost) << t.name;
  EXPECT_EQ(m.bytes_on(Residence::kDevice), 0);
  EXPECT_EQ(find(m, "bf16 staging"), nullptr);
  EXPECT_EQ(find(m, "evaluation logits (device)"), nullptr);
  const MemoryTerm* kv = find(m, "ring KV blocks");
  ASSERT_NE(kv, nullptr);
  const std::int64_t n = 4096, kv_bytes_per_token = 2 * 4 * 16 * 4 + 2 * 4;  // K, V f32 + positions, segments
  EXPECT_EQ(kv->bytes, 2 * n * kv_bytes_per_token);
  const MemoryTerm* logits = find(m, "evaluation logits (host)");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->bytes, n * 256 * 4);
}

// A one-rank ring never receives: one KV and one dK/dV block, not two and three.
TEST(TrainMemory, AOneRankRingHoldsOneBlockOfEach) {
  TrainShape one = shape(TrainPlacement::kHost), two = one;
  one.sp = 1;
  two.sp = 2;
  const std::int64_t ring_one = ring_buffers({4096, 4, 4, 16, DType::kF32, 1}).total_bytes();
  const std::int64_t ring_two = ring_buffers({4096, 4, 4, 16, DType::kF32, 2}).total_bytes();
  ASSERT_LT(ring_one, ring_two);
  EXPECT_EQ(train_memory(two).total_bytes() - train_memory(one).total_bytes(), ring_two - ring_one);
}

// The evaluation's logits and a checkpoint's copy live between steps, one at a time: the
// peak takes the larger, the steps neither.
TEST(TrainMemory, TheStepsHoldNeitherTheEvaluationLogitsNorTheCheckpointCopy) {
  const MemoryEstimate m = train_memory(shape(TrainPlacement::kHost));
  const MemoryTerm* logits = find(m, "evaluation logits (host)");
  const MemoryTerm* copy = find(m, "checkpoint state copy");
  ASSERT_NE(logits, nullptr);
  ASSERT_NE(copy, nullptr);
  std::int64_t all = 0;
  for (const MemoryTerm& t : m.terms) all += t.bytes;
  EXPECT_EQ(m.total_bytes_through({}), all - logits->bytes - copy->bytes);
  EXPECT_EQ(m.total_bytes(), all - std::min(logits->bytes, copy->bytes));
}

TEST(TrainMemory, TheDevicePlacementStagesTheRingInBf16AndCopiesTheLogits) {
  const MemoryEstimate m = train_memory(shape(TrainPlacement::kDevice));
  EXPECT_NE(find(m, "bf16 staging"), nullptr);
  EXPECT_NE(find(m, "evaluation logits (device)"), nullptr);
  const MemoryTerm* kv = find(m, "ring KV blocks");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->where, Residence::kDevice);
  const std::int64_t n = 4096, kv_bytes_per_token = 2 * 4 * 16 * 2 + 2 * 4;  // K, V bf16 + positions, segments
  EXPECT_EQ(kv->bytes, 2 * n * kv_bytes_per_token);
  EXPECT_GT(m.bytes_on(Residence::kDevice), 0);
}

// The sampled peak: whole-run terms + the largest of the named phases only.
TEST(MemoryEstimate, ThePeakThroughSomePhasesLeavesTheOthersOut) {
  MemoryEstimate m;
  m.add("always", 10, Residence::kDevice);
  m.add("a", 5, Residence::kHost, "inputs");
  m.add("b", 7, Residence::kDevice, "ring");
  m.add("c", 100, Residence::kDevice, "local");
  EXPECT_EQ(m.total_bytes(), 110);
  EXPECT_EQ(m.total_bytes_through({"inputs", "ring"}), 17);
  EXPECT_EQ(m.total_bytes_through({"inputs"}), 15);
  EXPECT_EQ(m.total_bytes_through({}), 10);
}

// One rank's ring never receives: one KV block and one dK/dV block instead of 2 and 3.
TEST(RingBuffers, OneRankHoldsOneBlockOfEach) {
  const MemoryEstimate one = ring_buffers({1024, 4, 4, 64, DType::kF32, 1});
  const MemoryEstimate two = ring_buffers({1024, 4, 4, 64, DType::kF32, 2});
  const std::int64_t kv = 2 * 1024 * 4 * 64 * 4 + 2 * 1024 * 4, dkv = 2 * 1024 * 4 * 64 * 4;
  EXPECT_EQ(two.total_bytes() - one.total_bytes(), kv + 2 * dkv);
}

}  // namespace
}  // namespace ra::plan

#include "runtime/plan/bench_plan.h"

namespace ra::plan {

BenchPlan plan_bench(const BenchInputs& in, const HardwareProfile& hw) {
  BenchPlan b;
  b.shard_tokens = layout::plan_shards(in.layout, in.sp, in.seq_len).shard_len;
  b.memory = bench_memory({b.shard_tokens, in.heads, in.kv_heads, in.head_dim, in.storage, in.sp});
  const RingMachine m = ring_machine(hw, in.storage != DType::kF32, in.sp);
  RingProblem p;
  p.tokens_per_rank = b.shard_tokens;
  p.sp = in.sp;
  p.heads = in.heads;
  p.kv_heads = in.kv_heads;
  p.head_dim = in.head_dim;
  p.storage = in.storage;
  p.mask = in.mask;
  p.layout = in.layout;
  b.ring = ring_time(p, m);
  const double ring_s = b.ring.fwd_s + b.ring.bwd_s;
  const double alone_s = b.ring.fwd_compute_s + b.ring.bwd_compute_s;
  b.ring_efficiency = ring_s > 0 ? alone_s / ring_s : 0.0;
  b.exposed_fraction = ring_s > 0 ? (b.ring.fwd_exposed_s + b.ring.bwd_exposed_s) / ring_s : 0.0;
  b.tokens_per_s = ring_s > 0 ? static_cast<double>(in.seq_len) / ring_s : 0.0;
  return b;
}

}  // namespace ra::plan

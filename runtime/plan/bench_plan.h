// `ringattn plan --for bench`: what `ringattn bench` of a config will measure, predicted
// from a hardware profile (time_model.h) and the memory model — the forward and backward
// ring times, the ring efficiency (the same blocks computed alone / the ring), the
// exposed communication and tokens/s. scripts/plan_validate.sh compares these with
// `ringattn bench` on a calibrated profile of this machine (docs/scaling.md).
#pragma once

#include <cstdint>

#include "kernels/numerics.h"
#include "runtime/core/dtype.h"
#include "runtime/layout/sharding.h"
#include "runtime/plan/hardware.h"
#include "runtime/plan/memory_model.h"
#include "runtime/plan/time_model.h"

namespace ra::plan {

struct BenchInputs {
  std::int64_t seq_len = 0;  // real tokens of the whole ring
  int sp = 1;
  std::int64_t heads = 4, kv_heads = 4, head_dim = 64;
  DType storage = DType::kF32;
  numerics::MaskRule mask;
  layout::Layout layout = layout::Layout::kZigzag;
};

struct BenchPlan {
  std::int64_t shard_tokens = 0;
  MemoryEstimate memory;
  RingTime ring;
  double ring_efficiency = 0, exposed_fraction = 0, tokens_per_s = 0;
};

BenchPlan plan_bench(const BenchInputs& in, const HardwareProfile& hw);

}  // namespace ra::plan

// Synthetic inputs for benchmarks, generated shard by shard: element e of global token g
// of tensor `tensor_id` is a hash of (seed, tensor_id, g, e) mapped to [-1, 1). A rank
// builds only its own shard (memory stays flat in P) and any rank can rebuild another
// rank's shard bit for bit.
#pragma once

#include <cstdint>

#include "runtime/core/dtype.h"
#include "runtime/layout/sharding.h"

namespace ra::bench {

// out: [shard_len, row_elems] in `dtype` (f32 or bf16); padding rows are zero.
void fill_synthetic_rows(const layout::ShardPlan& plan, int rank, std::uint64_t seed, std::uint64_t tensor_id,
                         std::int64_t row_elems, DType dtype, void* out);

// Positions = global index (padding too, as layout::shard_meta), segment 0, padding -1.
void fill_synthetic_meta(const layout::ShardPlan& plan, int rank, std::int32_t* pos, std::int32_t* seg);

}  // namespace ra::bench

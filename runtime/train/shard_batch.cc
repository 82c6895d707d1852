#include "runtime/train/shard_batch.h"

#include <limits>

#include "runtime/core/check.h"

namespace ra::train {

LocalTokens shard_batch(const SequenceBatch& b, layout::Layout layout, int sp_rank, int sp_size) {
  const layout::ShardPlan plan = layout::plan_shards(layout, sp_size, b.seq_len);
  const std::int64_t n = plan.shard_len;
  RA_CHECK(UsageError, b.batch * b.seq_len < std::numeric_limits<std::int32_t>::max(),
           "batch × seq_len = ", b.batch * b.seq_len, " exceeds the int32 segment ids of one ring pass");
  LocalTokens out;
  out.n = b.batch * n;
  for (auto* v : {&out.tokens, &out.targets, &out.positions, &out.segments}) v->resize(static_cast<std::size_t>(out.n));
  constexpr std::int64_t kRow = sizeof(std::int32_t);
  for (std::int64_t s = 0; s < b.batch; ++s) {
    const std::size_t in0 = static_cast<std::size_t>(s * b.seq_len), out0 = static_cast<std::size_t>(s * n);
    layout::shard_rows(plan, sp_rank, b.tokens.data() + in0, kRow, out.tokens.data() + out0);
    layout::shard_rows(plan, sp_rank, b.targets.data() + in0, kRow, out.targets.data() + out0);
    layout::shard_meta(plan, sp_rank, b.positions.data() + in0, b.segments.data() + in0, out.positions.data() + out0,
                       out.segments.data() + out0);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::size_t at = out0 + static_cast<std::size_t>(i);
      if (out.segments[at] < 0) {
        out.targets[at] = -1;  // padding added by the layout: no loss
        continue;
      }
      // Distinct per sequence: sequence s's segment ids move to [s·seq_len, (s+1)·seq_len).
      out.segments[at] += static_cast<std::int32_t>(s * b.seq_len);
    }
  }
  return out;
}

std::int64_t count_targets(const std::vector<std::int32_t>& targets) {
  std::int64_t n = 0;
  for (std::int32_t t : targets) n += t >= 0 ? 1 : 0;
  return n;
}

}  // namespace ra::train

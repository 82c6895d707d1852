// Runs any AttentionBlockOp implementation over a test case, with the keys split into
// blocks processed in a given order (as the ring does), and returns f32 results.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention_op.h"
#include "tests/support/attention_case.h"

namespace ra::testing {

struct BlockPlan {
  std::vector<std::int64_t> block_starts;  // first key of each block, ascending, starting at 0; empty: one block
  std::vector<int> order;                  // order the blocks are visited; empty: ascending
};

AttnResult<float> run_block_op(kernels::AttentionBlockOp& op, const AttnCase& c, const BlockPlan& plan = {});

}  // namespace ra::testing

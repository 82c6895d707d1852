// Runs an attention test case through ring attention on the ranks of a communicator:
// every rank builds the same full case, takes its shard in the given layout, runs the
// ring forward and backward on CPU streams, and the shards' results are put back in
// token order on every rank — so a test compares them with the single-process reference.
#pragma once

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "kernels/cpu/workspace.h"
#include "runtime/layout/sharding.h"
#include "runtime/ring/schedule.h"
#include "tests/support/attention_case.h"

namespace ra::testing {

struct RingRunOptions {
  layout::Layout layout = layout::Layout::kContiguous;
  kernels::cpu::CpuAttentionOptions kernel;
  // Another implementation of the block operation to run the blocks (e.g. the CUDA
  // kernels under the SIMT emulator); null: the CPU kernels with `kernel`.
  kernels::AttentionBlockOp* op = nullptr;
};

struct RingRun {
  AttnResult<float> result;  // full sequence, token order, identical on every rank
  ring::RingSchedule schedule;
  std::size_t kv_bytes = 0, dkv_bytes = 0;      // one KV message, one dK/dV message
  int forward_blocks = 0, backward_blocks = 0;  // block-operation calls on this rank
};

// Collective over `comm`. Requires c.lq == c.lk with shared metadata (self-attention).
RingRun run_ring(comm::Communicator& comm, const AttnCase& c, const RingRunOptions& options);

}  // namespace ra::testing

// Throughput of an implementation of the block operation on one case: the forward
// (init, accumulate, finalize) and the backward (prepare, backward) timed separately
// after a warm-up, median of `reps` runs, each ended by the placement's synchronize.
#pragma once

#include "kernels/attention_op.h"
#include "runtime/selftest/attention_selftest.h"

namespace ra::selftest {

struct ThroughputResult {
  SelftestCase c;
  double fwd_seconds = 0, bwd_seconds = 0;
  double fwd_flops = 0, bwd_flops = 0;  // useful attention FLOPs: 4·D per visible pair per head; backward 2.5×
};

// The case used to report throughput: long enough to fill a GPU.
SelftestCase throughput_case(DType storage, std::int64_t head_dim);

ThroughputResult time_case(const SelftestCase& c, kernels::AttentionBlockOp& op, TensorPlacement& where, int reps);

}  // namespace ra::selftest

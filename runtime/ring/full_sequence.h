// Ring attention over a sequence every rank holds in full (the `attention` tool and the
// tests): each rank takes its shard in the chosen layout (padding as needed), runs the
// ring forward (and backward when dO is given) on the backend it is given, and the
// shards' results are put back in token order on every rank.
#pragma once

#include <cstddef>
#include <vector>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/layout/sharding.h"
#include "runtime/ring/ring_attention.h"
#include "runtime/ring/schedule.h"

namespace ra::ring {

// Host views in token order. q, dout [S, Hq, D]; k, v [S, Hkv, D] (f32 or bf16);
// positions and segments i32 [S]; alibi_slopes f32 [Hq] or empty; dout empty: forward only.
struct FullSequence {
  ConstTensorView q, k, v, dout;
  kernels::TokenMeta q_meta, k_meta;
  ConstTensorView alibi_slopes;
};

struct FullSequenceOptions {
  layout::Layout layout = layout::Layout::kZigzag;
  numerics::MaskRule rule{numerics::MaskKind::kCausal, 0};
  float scale = 1.0f;
};

struct FullSequenceResult {
  // f32, token order, identical on every rank: o [S,Hq,D], lse [Hq,S], dq [S,Hq,D],
  // dk and dv [S,Hkv,D] (empty without dout).
  std::vector<float> o, lse, dq, dk, dv;
  RingSchedule schedule;
  std::size_t kv_bytes = 0, dkv_bytes = 0;  // one KV message, one dK/dV message
};

// Collective over ctx.comm; ctx.op runs the blocks on ctx.compute. The views in `in` are
// host memory; the shards are uploaded to ctx.device and the results downloaded, so any
// backend's device works.
FullSequenceResult ring_attention_full(const RingContext& ctx, const FullSequence& in,
                                       const FullSequenceOptions& options);

}  // namespace ra::ring

// The inputs of `ringattn attention`: a user's own tensors as .npy files, read and
// checked on rank 0 (every problem an ra::InputDataError naming the file and what is
// wrong with it), then broadcast to every rank.
//   q [S, Hq, D], k and v [S, Hkv, D], dout [S, Hq, D]: float32 (float16 widened)
//   pos_q, pos_k, seg_q, seg_k [S]: int32 (defaults 0..S-1 and all 0; seg -1 = padding)
//   alibi [Hq]: float32 slopes
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "runtime/core/dtype.h"

namespace ra::tool {

struct AttentionFiles {
  std::string q, k, v;
  std::string dout;                        // empty: forward only
  std::string pos_q, pos_k, seg_q, seg_k;  // empty: defaults
  std::string alibi;                       // empty: no ALiBi
};

struct AttentionInputs {
  std::int64_t tokens = 0, heads = 0, kv_heads = 0, head_dim = 0;
  std::vector<float> q, k, v, dout, alibi;  // dout, alibi empty when absent
  std::vector<std::int32_t> pos_q, pos_k, seg_q, seg_k;
};

// Rank 0's work: reads and validates every file. Every float input (q, k, v, dout, ALiBi
// slopes) must be finite: a NaN or ±inf is refused (ra::InputDataError, exit 3) naming the
// file, the tensor and the first non-finite element by index, before anything is computed
// — one NaN in q would otherwise give a row that looks fully masked and NaN in every row
// of dk, with exit 0. With `storage` = bf16, a finite value that rounds to ±inf in bf16
// (|x| beyond bf16's largest finite value) is refused the same way.
AttentionInputs read_attention_inputs(const AttentionFiles& files, DType storage = DType::kF32);

// Collective: rank 0's inputs to every rank.
void broadcast_inputs(comm::Communicator& comm, AttentionInputs& in);

}  // namespace ra::tool

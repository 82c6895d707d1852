// Plain parameter structs of the tiled attention kernels (forward-accumulate and the two
// backward kernels), shared by host launchers and device code. Layouts as in
// kernels/attention_op.h: tokens-major [L, H, D] tensors, per-row statistics [Hq, Lq].
#pragma once

#include <cstdint>

#include "kernels/numerics.h"

namespace ra::kernels::cuda {

struct AttnShape {
  std::int32_t lq = 0, lk = 0;   // query and key tokens
  std::int32_t hq = 0, hkv = 0;  // query heads, kv heads (hq % hkv == 0)
  std::int32_t d = 0;            // head dim: a template parameter of the kernels, checked against it
};

// The structs below have no default member initializers: filled with designated
// initializers (op/cuda_attention.cc), a field left out is a -Wmissing-field-initializers
// error, not a silent null.
struct MaskParams {
  numerics::MaskRule rule;
  float scale;                 // multiplies q·k
  const float* alibi_slopes;   // f32 [Hq], or nullptr
};

struct TokenMetaPtrs {
  const std::int32_t* pos;  // [L]
  const std::int32_t* seg;  // [L], -1 = padding
};

// How many 16-bit terms an fp32 tensor-core operand (P, dS) is split into (split.h):
// 3 keeps its fp32 value (error ~2^-26 relative, below fp32 rounding); 1 rounds it to
// the storage type as FlashAttention does (error ~2^-9 for bf16), at a third of the work.
inline constexpr std::int32_t kExactSplitTerms = 3;
inline constexpr std::int32_t kRoundedSplitTerms = 1;

// One struct per kernel family for every instance of the table (attention_instances.h):
// tensors of the storage type are untyped, and the kernels — templates on that type T —
// read them through storage_as<T> (storage_types.h), the one place an untyped pointer becomes a typed one.
// The dispatch passes the struct it is given to the kernel unchanged.
struct ForwardParams {
  AttnShape shape;
  MaskParams mask;
  std::int32_t split_terms;  // kExactSplitTerms or kRoundedSplitTerms
  const void* q;  // storage type [Lq, Hq, D]
  const void* k;  // storage type [Lk, Hkv, D]
  const void* v;  // storage type [Lk, Hkv, D]
  TokenMetaPtrs q_meta, k_meta;
  float* acc;      // [Lq, Hq, D] unnormalized output, updated in place
  float* row_max;  // [Hq, Lq]
  float* row_sum;  // [Hq, Lq]
};

struct BackwardParams {
  AttnShape shape;
  MaskParams mask;
  std::int32_t split_terms;
  const void* q;     // storage type
  const void* k;     // storage type
  const void* v;     // storage type
  const void* dout;  // storage type [Lq, Hq, D]
  const float* lse;   // [Hq, Lq]
  const float* dsum;  // [Hq, Lq], rowsum(dO ∘ O)
  TokenMetaPtrs q_meta, k_meta;
  float* dq;  // [Lq, Hq, D] accumulated (+=)
  float* dk;  // [Lk, Hkv, D] accumulated (+=), summed over each query-head group
  float* dv;
};

}  // namespace ra::kernels::cuda

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

struct MaskParams {
  numerics::MaskRule rule;
  float scale = 1.0f;                  // multiplies q·k
  const float* alibi_slopes = nullptr;  // f32 [Hq], or nullptr
};

struct TokenMetaPtrs {
  const std::int32_t* pos = nullptr;  // [L]
  const std::int32_t* seg = nullptr;  // [L], -1 = padding
};

// How many 16-bit terms an fp32 tensor-core operand (P, dS) is split into (split.h):
// 3 keeps its fp32 value (error ~2^-26 relative, below fp32 rounding); 1 rounds it to
// the storage type as FlashAttention does (error ~2^-9 for bf16), at a third of the work.
inline constexpr std::int32_t kExactSplitTerms = 3;
inline constexpr std::int32_t kRoundedSplitTerms = 1;

template <typename T>
struct ForwardParams {
  AttnShape shape;
  MaskParams mask;
  std::int32_t split_terms = kExactSplitTerms;
  const T* q = nullptr;  // [Lq, Hq, D]
  const T* k = nullptr;  // [Lk, Hkv, D]
  const T* v = nullptr;  // [Lk, Hkv, D]
  TokenMetaPtrs q_meta, k_meta;
  float* acc = nullptr;      // [Lq, Hq, D] unnormalized output, updated in place
  float* row_max = nullptr;  // [Hq, Lq]
  float* row_sum = nullptr;  // [Hq, Lq]
};

template <typename T>
struct BackwardParams {
  AttnShape shape;
  MaskParams mask;
  std::int32_t split_terms = kExactSplitTerms;
  const T* q = nullptr;
  const T* k = nullptr;
  const T* v = nullptr;
  const T* dout = nullptr;     // [Lq, Hq, D]
  const float* lse = nullptr;  // [Hq, Lq]
  const float* dsum = nullptr;  // [Hq, Lq], rowsum(dO ∘ O)
  TokenMetaPtrs q_meta, k_meta;
  float* dq = nullptr;  // [Lq, Hq, D] accumulated (+=)
  float* dk = nullptr;  // [Lk, Hkv, D] accumulated (+=), summed over each query-head group
  float* dv = nullptr;
};

}  // namespace ra::kernels::cuda

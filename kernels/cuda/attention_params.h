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
  float scale;                // multiplies q·k
  const float* alibi_slopes;  // f32 [Hq], or nullptr
};

struct TokenMetaPtrs {
  const std::int32_t* pos;  // [L]
  const std::int32_t* seg;  // [L], -1 = padding
};

// How the fp32 operand of a tensor-core product (P in P·V and Pᵀ·dO, dS in dS·K and
// dSᵀ·Q) meets the 16-bit tensor cores (split.h, docs/numerics.md "The CUDA kernels'
// products"). A template parameter of the kernels (one instance per value, chosen by the
// dispatch from the params), so neither path carries a run-time branch on it.
//   kFast:  rounded once to the storage type, as FlashAttention, cuDNN and TransformerEngine
//           train: relative error ≤ u per element (bf16 u = 2^-8, fp16 u = 2^-11); fp32
//           accumulation and fp32 softmax state (m, l, LSE) as in both modes. The default.
//   kExact: split into three 16-bit terms whose sum is the fp32 value to ~2^-24: results
//           within the fp32 numerics policy, at 3× the tensor-core products on P and dS.
enum class MmaPrecision : std::uint8_t { kFast, kExact };

inline const char* mma_precision_name(MmaPrecision p) { return p == MmaPrecision::kExact ? "exact" : "fast"; }

// One struct per kernel family for every instance of the table (attention_instances.h):
// tensors of the storage type are untyped, and the kernels — templates on that type T —
// read them through storage_as<T> (storage_types.h), the one place an untyped pointer becomes a typed one.
// The dispatch passes the struct it is given to the kernel unchanged.
struct ForwardParams {
  AttnShape shape;
  MaskParams mask;
  MmaPrecision precision;  // selects the kernel instance (attention_instances.h)
  const void* q;           // storage type [Lq, Hq, D]
  const void* k;           // storage type [Lk, Hkv, D]
  const void* v;           // storage type [Lk, Hkv, D]
  TokenMetaPtrs q_meta, k_meta;
  float* acc;      // [Lq, Hq, D] unnormalized output, updated in place
  float* row_max;  // [Hq, Lq]
  float* row_sum;  // [Hq, Lq]
};

struct BackwardParams {
  AttnShape shape;
  MaskParams mask;
  MmaPrecision precision;
  const void* q;      // storage type
  const void* k;      // storage type
  const void* v;      // storage type
  const void* dout;   // storage type [Lq, Hq, D]
  const float* lse;   // [Hq, Lq]
  const float* dsum;  // [Hq, Lq], rowsum(dO ∘ O)
  TokenMetaPtrs q_meta, k_meta;
  float* dq;  // [Lq, Hq, D] accumulated (+=)
  float* dk;  // [Lk, Hkv, D] accumulated (+=), summed over each query-head group
  float* dv;
};

}  // namespace ra::kernels::cuda

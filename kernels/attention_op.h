// The attention block operation (docs/design.md §2): the one computation every ring step
// runs. Implementations (kernels/cpu, kernels/cuda) share these argument structs and
// the semantics of kernels/numerics.h.
//
// Shapes (row-major):
//   q, o, dout        [Lq, Hq, D]   storage dtype (f32 or bf16)
//   k, v              [Lk, Hkv, D]  storage dtype; query head h reads kv head h / (Hq / Hkv)
//   pos, seg          [L]           int32 global position and segment id (-1 = padding)
//   alibi_slopes      [Hq]          f32, optional (empty view: no ALiBi)
//   acc               [Lq, Hq, D]   f32 unnormalized output accumulator
//   row_max, row_sum  [Hq, Lq]      f32 running max and running sum of exp(score - max)
//   lse, dsum         [Hq, Lq]      f32
//   dq                [Lq, Hq, D]   f32;  dk, dv [Lk, Hkv, D] f32 (accumulated, summed over
//                                   each query-head group)
#pragma once

#include <cstdint>

#include "kernels/numerics.h"
#include "runtime/core/tensor_view.h"

namespace ra::kernels {

using numerics::MaskKind;
using numerics::MaskRule;

struct MaskSpec {
  MaskRule rule;
  float scale = 1.0f;            // multiplies q·k; callers usually pass 1/sqrt(D)
  ConstTensorView alibi_slopes;  // f32 [Hq], or empty
};

struct TokenMeta {
  ConstTensorView pos;  // i32 [L]
  ConstTensorView seg;  // i32 [L]
};

// The fp32 online-softmax state of one query shard, carried across all key blocks.
struct SoftmaxState {
  TensorView acc;      // f32 [Lq, Hq, D], starts at 0
  TensorView row_max;  // f32 [Hq, Lq], starts at -inf
  TensorView row_sum;  // f32 [Hq, Lq], starts at 0
};

struct ForwardArgs {
  ConstTensorView q, k, v;
  TokenMeta q_meta, k_meta;
  MaskSpec mask;
  SoftmaxState state;  // updated in place
};

struct FinalizeArgs {
  SoftmaxState state;  // read only
  TensorView o;        // [Lq, Hq, D] storage dtype; O = acc / sum, exactly 0 on fully masked rows
  TensorView lse;      // f32 [Hq, Lq]; max + log(sum), -inf on fully masked rows
};

// Dsum = rowsum(dO ∘ O), once per query shard before the backward blocks.
struct BackwardPrepareArgs {
  ConstTensorView o, dout;  // [Lq, Hq, D] storage dtype
  TensorView dsum;          // f32 [Hq, Lq]
};

struct BackwardArgs {
  ConstTensorView q, k, v, dout;
  ConstTensorView lse, dsum;  // f32 [Hq, Lq]
  TokenMeta q_meta, k_meta;
  MaskSpec mask;
  TensorView dq, dk, dv;  // f32, accumulated (+=)
};

// Merge of two finalized partials over disjoint key sets, in place into a.
struct MergeArgs {
  TensorView o_a;    // f32 [Lq, Hq, D]
  TensorView lse_a;  // f32 [Hq, Lq]
  ConstTensorView o_b, lse_b;
};

// How an implementation multiplies the fp32 probabilities P and their gradients dS with
// V, K and Q: at fp32 (within the numerics policy's fp32 bounds), or rounded once to the
// storage type as FlashAttention does (bounded by the unit roundoff of the storage type:
// docs/numerics.md, "Error of 16-bit P and dS"). Tests and `ringattn selftest` set their
// tolerances from it.
enum class ProductRounding : std::uint8_t { kFp32, kStorage };

struct BackendSupport;  // kernels/validate.h


class AttentionBlockOp {
 public:
  virtual ~AttentionBlockOp() = default;
  virtual ProductRounding product_rounding() const { return ProductRounding::kFp32; }
  // The head dims and storage dtypes this op accepts: a command checks its shape against it
  // before it allocates (kernels::head_dim_refusal), and every call validates against it.
  virtual const BackendSupport& support() const = 0;
  // Sets acc = 0, row_max = -inf, row_sum = 0.
  virtual void init_state(const SoftmaxState& state) = 0;
  virtual void forward_accumulate(const ForwardArgs& args) = 0;
  virtual void finalize(const FinalizeArgs& args) = 0;
  virtual void backward_prepare(const BackwardPrepareArgs& args) = 0;
  virtual void backward(const BackwardArgs& args) = 0;
  virtual void merge(const MergeArgs& args) = 0;
};

}  // namespace ra::kernels

// Argument validation of the attention block operation, shared by every backend so
// that a bad call fails the same way (ra::UsageError naming the argument and values)
// whichever backend runs it.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/attention_op.h"

namespace ra::kernels {

struct AttnDims {
  std::int64_t lq = 0, lk = 0;   // query and key tokens
  std::int64_t hq = 0, hkv = 0;  // query heads, kv heads
  std::int64_t d = 0;            // head dim
  std::int64_t group() const { return hq / hkv; }
};

// Which head dims a backend supports: either a range or an explicit list.
struct HeadDimSupport {
  std::int64_t min_d = 1, max_d = 256;
  const std::int64_t* only = nullptr;  // if set: the supported dims, `only_count` of them
  int only_count = 0;
};

// Which storage dtypes (q, k, v, o, dout) a backend supports.
struct StorageSupport {
  const DType* dtypes = nullptr;
  int count = 0;
};

struct BackendSupport {
  HeadDimSupport head_dims;
  StorageSupport storage;
};

// Empty when `d` is one of `hd`'s head dims; otherwise the reason, e.g. "head_dim 4096 is
// not supported by this backend (supported: 1..512)". Commands call it before allocating.
std::string head_dim_refusal(std::int64_t d, const HeadDimSupport& hd);

AttnDims validate_forward(const ForwardArgs& a, const BackendSupport& support);
void validate_finalize(const FinalizeArgs& a, const BackendSupport& support);
void validate_backward_prepare(const BackwardPrepareArgs& a, const BackendSupport& support);
AttnDims validate_backward(const BackwardArgs& a, const BackendSupport& support);
void validate_merge(const MergeArgs& a);
void validate_state(const SoftmaxState& s);

}  // namespace ra::kernels

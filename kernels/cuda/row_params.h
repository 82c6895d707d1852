// Plain parameter structs of the per-row kernels of the attention block operation
// (docs/design.md §2), shared by host launchers and device code. Layouts as in
// kernels/attention_op.h: O-like tensors [Lq, Hq, D], per-row statistics [Hq, Lq].
#pragma once

#include <cstdint>

namespace ra::kernels::cuda {

struct RowShape {
  std::int32_t lq = 0, hq = 0, d = 0;
};

struct InitStateParams {
  RowShape shape;
  float* acc;      // [Lq, Hq, D] := 0
  float* row_max;  // [Hq, Lq]    := -inf
  float* row_sum;  // [Hq, Lq]    := 0
};

// Like the attention kernels' params (attention_params.h), one struct for every storage
// type: the kernels read the untyped tensors through storage_as<T>.
struct FinalizeParams {
  RowShape shape;
  const float* acc;
  const float* row_max;
  const float* row_sum;
  void* o;     // storage type: acc / sum, exactly 0 on rows that saw no key
  float* lse;  // max + log(sum), -inf on such rows
};

struct PrepareParams {
  RowShape shape;
  const void* o;     // storage type
  const void* dout;  // storage type
  float* dsum;       // rowsum(dO ∘ O)
};

struct MergeParams {
  RowShape shape;
  float* o_a;
  float* lse_a;
  const float* o_b;
  const float* lse_b;
};

}  // namespace ra::kernels::cuda

// The attention self-test (`ringattn selftest`): an implementation of the block operation
// (the CUDA kernels on a GPU, or under the SIMT emulator) against a reference
// implementation on host memory (the CPU kernels) on the same inputs, one operation at a time so that each comparison
// sees identical inputs:
//   forward_accumulate + finalize   q, k, v               → O, LSE
//   backward_prepare                the CPU's O, dO        → Dsum
//   backward                        q, k, v, dO and the CPU's LSE and Dsum → dQ, dK, dV
// Tolerances (stated in the report): O one unit in the last place of the storage type at
// max|O| (both sides round fp32 values that differ in the last fp32 bits), times 2;
// LSE, Dsum 1e-5 and gradients 1e-4 relative to max|reference|: fp32 rounding gives
// ~1e-6, a real defect (a wrong mask, scale or block) gives errors of order max|reference|.
// An op that rounds P and dS to 16 bits (the CUDA kernels' default MmaPrecision::kFast)
// gets, on O, dQ, dK and dV, the derived bound u · max Σ|terms| of docs/numerics.md on
// top, computed by the f64 reference (kernels/reference) on the case's inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/attention_op.h"
#include "runtime/core/tensor_view.h"

namespace ra::selftest {

struct SelftestCase {
  std::string name;
  DType storage = DType::kBF16;
  std::int64_t tokens = 0, heads = 1, kv_heads = 1, head_dim = 64;
  numerics::MaskRule rule;
  bool alibi = false;
  int documents = 1;                // packed documents (segment ids)
  std::int64_t padding_tokens = 0;  // trailing padding (segment -1): fully masked rows
};

enum class SelftestScale : std::uint8_t {
  kEmulator,  // short sequences: the emulator runs each thread as a fiber
  kDevice,    // a GPU: longer, ragged sequences
};

// bf16 and f16 × head dims 64 and 128 × {causal GQA, bidirectional window + ALiBi, causal
// packed documents with padding}.
std::vector<SelftestCase> selftest_cases(SelftestScale scale);

// Where the implementation under test reads and writes tensors (device memory on a GPU,
// host memory under the emulator).
class TensorPlacement {
 public:
  virtual ~TensorPlacement() = default;
  // A tensor of the op's memory holding `bytes` of host data (or zeros when src is null).
  virtual TensorView place(const void* src, DType dtype, const Shape& shape) = 0;
  // Copies a tensor of the op's memory to host memory; waits for pending work first.
  virtual void fetch(const ConstTensorView& t, void* dst) = 0;
  // Waits for all work issued to the op.
  virtual void synchronize() = 0;
};

struct OutputError {
  std::string tensor;  // "O", "LSE", "Dsum", "dQ", "dK", "dV"
  double max_err = 0, tolerance = 0;
  std::int64_t at = -1;  // flat index of max_err
  bool ok() const { return max_err <= tolerance; }
};

struct SelftestResult {
  SelftestCase c;
  std::vector<OutputError> errors;
  bool ok() const;
};

// Runs one case through `op` (on the placement's memory) and through `reference` (an
// implementation on host memory: `ringattn selftest` passes the CPU kernels); throws
// what either throws.
SelftestResult run_selftest_case(const SelftestCase& c, kernels::AttentionBlockOp& reference,
                                 kernels::AttentionBlockOp& op, TensorPlacement& where);

}  // namespace ra::selftest

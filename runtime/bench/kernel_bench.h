// `ringattn kernel-bench`: times the CPU attention block operation on one block
// (median of several repetitions after warm-up) and reports GFLOP/s in the FLOP
// convention of docs/design.md §10.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "kernels/attention_op.h"
#include "kernels/numerics.h"
#include "runtime/core/dtype.h"

namespace ra::bench {

enum class KernelOp : std::uint8_t { kForward, kBackward };

struct KernelBenchOptions {
  KernelOp op = KernelOp::kForward;
  DType dtype = DType::kF32;
  std::int64_t head_dim = 64;
  std::int64_t heads = 4;
  std::int64_t kv_heads = 4;
  std::int64_t len = 4096;
  numerics::MaskKind mask = numerics::MaskKind::kBidirectional;
  std::int32_t window = 0;  // a sliding window of this many keys (0: none)
  int threads = 1;
  int warmup_reps = 1;
  int timed_reps = 5;
};

struct KernelBenchResult {
  KernelBenchOptions options;
  double seconds = 0;  // median of the timed repetitions
  double gflops = 0;
  std::vector<double> samples_seconds;
};

// FLOPs of one op on an L × L block at positions 0..L−1: forward 4·pairs·D·Hq over the
// visible (query, key) pairs (L² bidirectional, L(L+1)/2 causal, fewer under a window),
// backward 2.5× forward.
double attention_flops(KernelOp op, std::int64_t len, std::int64_t head_dim, std::int64_t heads,
                       const numerics::MaskRule& mask);

// Times `op` (built by the composition root for the chosen backend) on host memory.
KernelBenchResult run_kernel_bench(kernels::AttentionBlockOp& op, const KernelBenchOptions& options);

std::string to_json_line(const KernelBenchResult& r);
void print_table(std::ostream& os, const std::vector<KernelBenchResult>& results);

}  // namespace ra::bench

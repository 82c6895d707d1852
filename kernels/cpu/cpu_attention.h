// The CPU implementation of the attention block operation: f32, bf16 or f16 storage, f32
// accumulation, multi-threaded over tiles, bitwise independent of the thread count.
#pragma once

#include <memory>
#include <vector>

#include "kernels/attention_op.h"
#include "kernels/cpu/workspace.h"
#include "kernels/validate.h"
#include "runtime/core/thread_pool.h"

namespace ra::kernels::cpu {

// What the CPU kernels accept: any head dim in this range (sgemm has no tile constraint),
// f32, bf16 or f16 storage.
inline constexpr DType kCpuStorageDTypes[] = {DType::kF32, DType::kBF16, DType::kF16};
inline constexpr BackendSupport kCpuSupport{{1, 512, nullptr, 0}, {kCpuStorageDTypes, 3}};

class CpuAttention final : public AttentionBlockOp {
 public:
  const BackendSupport& support() const override { return kCpuSupport; }
  explicit CpuAttention(const CpuAttentionOptions& options);

  void init_state(const SoftmaxState& state) override;
  void forward_accumulate(const ForwardArgs& args) override;
  void finalize(const FinalizeArgs& args) override;
  void backward_prepare(const BackwardPrepareArgs& args) override;
  void backward(const BackwardArgs& args) override;
  void merge(const MergeArgs& args) override;

  const CpuAttentionOptions& options() const { return options_; }

 private:
  CpuAttentionOptions options_;
  ThreadPool pool_;
  std::vector<WorkerScratch> scratch_;  // one per pool thread
};

}  // namespace ra::kernels::cpu

// The CUDA implementation of the attention block operation (docs/design.md §2): bf16 or fp16
// storage, fp32 accumulation on tensor cores, head dims 16, 32, 64 and 128. Plain C++: it
// validates arguments, fills the kernels' parameter structs from the views and calls the
// dispatch (attention_dispatch.h), which is nvcc's on a GPU (views hold device memory)
// or the SIMT emulator's in tests (views hold host memory).
#pragma once

#include <cstdint>
#include <iterator>

#include "kernels/attention_op.h"
#include "kernels/cuda/attention_dispatch.h"
#include "kernels/cuda/attention_instances.h"
#include "kernels/validate.h"

namespace ra::kernels::cuda {

// How fp32 operands (P, dS) meet the tensor cores (split.h).
enum class ProductPrecision : std::uint8_t {
  kFp32,       // split into three 16-bit terms: errors within the numerics policy (default)
  kRounded16,  // rounded to the storage type as FlashAttention does: 3× fewer MMAs on P·V,
               // ~2^-9 relative error per probability for bf16 (not within the policy)
};

struct CudaAttentionOptions {
  void* stream = nullptr;  // cudaStream_t every launch goes on (ignored by the emulator)
  ProductPrecision precision = ProductPrecision::kFp32;
};

// What the kernels are built for: the instance table (kernels/cuda/attention_instances.h).
inline constexpr DType kCudaStorageDTypes[] = {
#define RA_ATTENTION_X(storage, type, name, dtype) DType::dtype,
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
};
inline constexpr const std::int64_t (&kCudaSupportedHeadDims)[std::size(kCudaHeadDims)] = kCudaHeadDims;
inline constexpr BackendSupport kCudaSupport{
    {1, 0, kCudaSupportedHeadDims, static_cast<int>(std::size(kCudaSupportedHeadDims))},
    {kCudaStorageDTypes, static_cast<int>(std::size(kCudaStorageDTypes))}};

class CudaAttention final : public AttentionBlockOp {
 public:
  // `kernels`: nvcc_attention_kernels() (device memory) or simt_attention_kernels()
  // (host memory, the emulator); it must outlive the op (both are static).
  CudaAttention(const AttentionKernels& kernels, const CudaAttentionOptions& options)
      : kernels_(kernels), options_(options) {}

  void init_state(const SoftmaxState& state) override;
  void forward_accumulate(const ForwardArgs& args) override;
  void finalize(const FinalizeArgs& args) override;
  void backward_prepare(const BackwardPrepareArgs& args) override;
  void backward(const BackwardArgs& args) override;
  void merge(const MergeArgs& args) override;

  const CudaAttentionOptions& options() const { return options_; }

 private:
  const AttentionKernels& kernels_;
  CudaAttentionOptions options_;
};

}  // namespace ra::kernels::cuda

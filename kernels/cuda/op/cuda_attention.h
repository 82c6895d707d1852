// The CUDA implementation of the attention block operation (docs/design.md §2): bf16 or fp16
// storage, fp32 accumulation on tensor cores, head dims 16, 32, 64 and 128, P and dS
// rounded to the storage type (MmaPrecision::kFast) or split exactly (kExact). Plain C++: it
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

struct CudaAttentionOptions {
  void* stream = nullptr;  // cudaStream_t every launch goes on (ignored by the emulator)
  // How P and dS meet the tensor cores (attention_params.h): kFast (the default, what
  // FlashAttention/cuDNN/TransformerEngine train with: P and dS rounded to bf16/fp16 once,
  // errors within docs/numerics.md's 16-bit product bound) or kExact (three-term split,
  // within the fp32 numerics policy).
  MmaPrecision precision = MmaPrecision::kFast;
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
  const BackendSupport& support() const override { return kCudaSupport; }
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
  ProductRounding product_rounding() const override {
    return options_.precision == MmaPrecision::kFast ? ProductRounding::kStorage : ProductRounding::kFp32;
  }

 private:
  const AttentionKernels& kernels_;
  CudaAttentionOptions options_;
};

}  // namespace ra::kernels::cuda

// The model kernels behind a dtype-free interface, like AttentionKernels
// (kernels/cuda/attention_dispatch.h): the activation kernels dispatch on ModelStorage
// (f32, bf16) to the instances of RA_MODEL_STORAGE_TYPES, ending in a UsageError; the
// fp32-only ones (sums, clip factor, AdamW) take their params alone. Plain C++: defined
// by nvcc in model_dispatch.cu (target ra_kernels_cuda_model, device pointers) and by the
// emulator's build of the same source in kernels/cuda/simt/model_dispatch_simt.cc
// (target ra_simt_model, host pointers). A program may link both, each in its own inline
// namespace (portable.h: RA_CUDA_BUILD), so training code reaches the kernels through
// this table, never by name. `stream` is a cudaStream_t (ignored by the emulator).
#pragma once

#include "kernels/cuda/model/model_params.h"

namespace ra::kernels::cuda {

struct ModelKernels {
  const char* build;  // "nvcc" or "simt"
  void (*embedding_forward)(ModelStorage storage, const EmbeddingForwardParams& p, void* stream);
  void (*embedding_backward)(ModelStorage storage, const EmbeddingBackwardParams& p, void* stream);
  void (*rmsnorm_forward)(ModelStorage storage, const RmsNormForwardParams& p, void* stream);
  void (*rmsnorm_backward)(ModelStorage storage, const RmsNormBackwardParams& p, void* stream);
  void (*rope)(ModelStorage storage, const RopeParams& p, void* stream);
  void (*swiglu_forward)(ModelStorage storage, const SwigluForwardParams& p, void* stream);
  void (*swiglu_backward)(ModelStorage storage, const SwigluBackwardParams& p, void* stream);
  void (*residual_add)(ModelStorage storage, const ResidualAddParams& p, void* stream);
  void (*axpy)(ModelStorage storage, const AxpyParams& p, void* stream);
  void (*cross_entropy_forward)(ModelStorage storage, const CrossEntropyForwardParams& p, void* stream);
  void (*cross_entropy_backward)(ModelStorage storage, const CrossEntropyBackwardParams& p, void* stream);
  void (*sum_reduce)(const SumReduceParams& p, void* stream);
  void (*clip_factor)(const ClipFactorParams& p, void* stream);
  void (*adamw_update)(const AdamWParams& p, void* stream);
};

// nvcc's build (model_dispatch.cu, target ra_kernels_cuda_model): device pointers.
const ModelKernels& nvcc_model_kernels();
// The emulator's build (kernels/cuda/simt/model_dispatch_simt.cc, target ra_simt_model): host pointers.
const ModelKernels& simt_model_kernels();

}  // namespace ra::kernels::cuda

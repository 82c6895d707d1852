// Definitions of model_dispatch.h, included by exactly one translation unit per build:
// model_dispatch.cu (nvcc) or kernels/cuda/simt/model_dispatch_simt.cc (emulator). The
// storage switch is the expansion of RA_MODEL_STORAGE_TYPES and is what instantiates the
// activation kernels.
#pragma once

#include <string>
#include <type_traits>

#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/cuda/model/model_launch.h"
#include "kernels/cuda/portable.h"
#include "runtime/core/error.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

namespace model_dispatch_detail {

// The params go to the kernels by value, bit for bit.
template <typename P>
inline constexpr bool kPlain = std::is_trivially_copyable_v<P>&& std::is_standard_layout_v<P>;
static_assert(kPlain<EmbeddingForwardParams> && kPlain<EmbeddingBackwardParams> && kPlain<RmsNormForwardParams> &&
                  kPlain<RmsNormBackwardParams> && kPlain<RopeParams> && kPlain<SwigluForwardParams> &&
                  kPlain<SwigluBackwardParams> && kPlain<ResidualAddParams> && kPlain<AxpyParams> &&
                  kPlain<CrossEntropyForwardParams> && kPlain<CrossEntropyBackwardParams> && kPlain<SumReduceParams> &&
                  kPlain<ClipFactorParams> && kPlain<AdamWParams>,
              "model kernel params must be plain structs, copied to the device as they are");

[[noreturn]] inline void no_kernel(const char* op, ModelStorage storage) {
  std::string built;
#define RA_MODEL_X(storage_, type, name) built += std::string(built.empty() ? "" : ", ") + name;
  RA_MODEL_STORAGE_TYPES(RA_MODEL_X)
#undef RA_MODEL_X
  throw UsageError(std::string("CUDA model kernel ") + op + ": no kernel for storage dtype " +
                   std::to_string(static_cast<int>(storage)) + " (built: " + built + ")");
}

// launch(T{}) — a tag of the storage type — for the table's storage type.
template <typename F>
void run_storage(const char* op, ModelStorage storage, const F& launch) {
  switch (storage) {
#define RA_MODEL_X(storage_, type, name) \
  case ModelStorage::storage_: launch(type{}); return;
    RA_MODEL_STORAGE_TYPES(RA_MODEL_X)
#undef RA_MODEL_X
  }
  no_kernel(op, storage);
}

}  // namespace model_dispatch_detail

// One dispatch function per storage-typed launcher: storage → launch_<op><T>(p, stream).
#define RA_MODEL_DISPATCH(op, Params)                                                                           \
  inline void dispatch_##op(ModelStorage storage, const Params& p, void* stream) {                              \
    model_dispatch_detail::run_storage(#op, storage, [&](auto tag) { launch_##op<decltype(tag)>(p, stream); }); \
  }
RA_MODEL_DISPATCH(embedding_forward, EmbeddingForwardParams)
RA_MODEL_DISPATCH(embedding_backward, EmbeddingBackwardParams)
RA_MODEL_DISPATCH(rmsnorm_forward, RmsNormForwardParams)
RA_MODEL_DISPATCH(rmsnorm_backward, RmsNormBackwardParams)
RA_MODEL_DISPATCH(rope, RopeParams)
RA_MODEL_DISPATCH(swiglu_forward, SwigluForwardParams)
RA_MODEL_DISPATCH(swiglu_backward, SwigluBackwardParams)
RA_MODEL_DISPATCH(residual_add, ResidualAddParams)
RA_MODEL_DISPATCH(axpy, AxpyParams)
RA_MODEL_DISPATCH(cross_entropy_forward, CrossEntropyForwardParams)
RA_MODEL_DISPATCH(cross_entropy_backward, CrossEntropyBackwardParams)
#undef RA_MODEL_DISPATCH

// This build's entry points (one build per translation unit that includes this header).
inline const ModelKernels& this_build_model_kernels(const char* build) {
  static const ModelKernels kernels{build,
                                    &dispatch_embedding_forward,
                                    &dispatch_embedding_backward,
                                    &dispatch_rmsnorm_forward,
                                    &dispatch_rmsnorm_backward,
                                    &dispatch_rope,
                                    &dispatch_swiglu_forward,
                                    &dispatch_swiglu_backward,
                                    &dispatch_residual_add,
                                    &dispatch_axpy,
                                    &dispatch_cross_entropy_forward,
                                    &dispatch_cross_entropy_backward,
                                    &launch_sum_reduce,
                                    &launch_clip_factor,
                                    &launch_adamw_update};
  return kernels;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// The CUDA block operation's kernels behind a dtype-free interface: flat dispatch on
// (storage dtype, head dim) to the kernel instances, ending in a UsageError. Plain C++:
// defined by nvcc in attention_dispatch.cu for GPUs, and by the emulator's build of the
// same source (tests/simt/attention_dispatch_simt.cc) — a program links exactly one.
// Pointers are device pointers on a GPU and host pointers under the emulator; `stream`
// is a cudaStream_t (ignored by the emulator, which runs launches to completion).
#pragma once

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/row_params.h"

#include <cstdint>

namespace ra::kernels::cuda {

// What the untyped tensors hold. (Not ra::DType: nvcc compiles this header as C++17.)
enum class KernelStorage : std::uint8_t { kBf16, kF16 };

inline const char* kernel_storage_name(KernelStorage s) { return s == KernelStorage::kBf16 ? "bf16" : "f16"; }

// Parameters with untyped tensors (T = void); `storage` says what they hold.
using ErasedForwardParams = ForwardParams<void>;
using ErasedBackwardParams = BackwardParams<void>;

struct ErasedFinalizeParams {
  RowShape shape;
  const float* acc;
  const float* row_max;
  const float* row_sum;
  void* o;
  float* lse;
};

struct ErasedPrepareParams {
  RowShape shape;
  const void* o;
  const void* dout;
  float* dsum;
};

void dispatch_init_state(const InitStateParams& p, void* stream);
void dispatch_forward(KernelStorage storage, const ErasedForwardParams& p, void* stream);
void dispatch_finalize(KernelStorage storage, const ErasedFinalizeParams& p, void* stream);
void dispatch_prepare(KernelStorage storage, const ErasedPrepareParams& p, void* stream);
void dispatch_backward(KernelStorage storage, const ErasedBackwardParams& p, void* stream);
void dispatch_merge(const MergeParams& p, void* stream);

}  // namespace ra::kernels::cuda

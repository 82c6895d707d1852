// Definitions of attention_dispatch.h, included by exactly one translation unit per
// build: attention_dispatch.cu (nvcc) or tests/simt/attention_dispatch_simt.cc (emulator).
#pragma once

#include "kernels/cuda/attention_dispatch.h"
#include "kernels/cuda/attention_launch.h"
#include "kernels/cuda/row_launch.h"
#include <string>

#include "runtime/core/error.h"

namespace ra::kernels::cuda {
namespace dispatch_detail {

template <typename T>
ForwardParams<T> typed(const ErasedForwardParams& e) {
  ForwardParams<T> p;
  p.shape = e.shape;
  p.mask = e.mask;
  p.split_terms = e.split_terms;
  p.q = static_cast<const T*>(e.q);
  p.k = static_cast<const T*>(e.k);
  p.v = static_cast<const T*>(e.v);
  p.q_meta = e.q_meta;
  p.k_meta = e.k_meta;
  p.acc = e.acc;
  p.row_max = e.row_max;
  p.row_sum = e.row_sum;
  return p;
}

template <typename T>
BackwardParams<T> typed(const ErasedBackwardParams& e) {
  BackwardParams<T> p;
  p.shape = e.shape;
  p.mask = e.mask;
  p.split_terms = e.split_terms;
  p.q = static_cast<const T*>(e.q);
  p.k = static_cast<const T*>(e.k);
  p.v = static_cast<const T*>(e.v);
  p.dout = static_cast<const T*>(e.dout);
  p.lse = e.lse;
  p.dsum = e.dsum;
  p.q_meta = e.q_meta;
  p.k_meta = e.k_meta;
  p.dq = e.dq;
  p.dk = e.dk;
  p.dv = e.dv;
  return p;
}

[[noreturn]] inline void no_kernel(const char* op, KernelStorage storage, std::int32_t head_dim) {
  throw UsageError(std::string("CUDA attention ") + op + ": no kernel for storage dtype " + kernel_storage_name(storage) +
                   " with head_dim " + std::to_string(head_dim) + " (built: bf16, f16 with head_dim 16, 32, 64, 128)");
}

}  // namespace dispatch_detail

void dispatch_init_state(const InitStateParams& p, void* stream) { launch_init_state(p, stream); }

void dispatch_forward(KernelStorage storage, const ErasedForwardParams& p, void* stream) {
  using dispatch_detail::typed;
  const std::int32_t d = p.shape.d;
  if (storage == KernelStorage::kBf16 && d == 16) return launch_forward<__nv_bfloat16, 16>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 32) return launch_forward<__nv_bfloat16, 32>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 64) return launch_forward<__nv_bfloat16, 64>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 128) return launch_forward<__nv_bfloat16, 128>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kF16 && d == 16) return launch_forward<__half, 16>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 32) return launch_forward<__half, 32>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 64) return launch_forward<__half, 64>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 128) return launch_forward<__half, 128>(typed<__half>(p), stream);
  dispatch_detail::no_kernel("forward", storage, d);
}

void dispatch_backward(KernelStorage storage, const ErasedBackwardParams& p, void* stream) {
  using dispatch_detail::typed;
  const std::int32_t d = p.shape.d;
  if (storage == KernelStorage::kBf16 && d == 16) return launch_backward<__nv_bfloat16, 16>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 32) return launch_backward<__nv_bfloat16, 32>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 64) return launch_backward<__nv_bfloat16, 64>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kBf16 && d == 128) return launch_backward<__nv_bfloat16, 128>(typed<__nv_bfloat16>(p), stream);
  if (storage == KernelStorage::kF16 && d == 16) return launch_backward<__half, 16>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 32) return launch_backward<__half, 32>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 64) return launch_backward<__half, 64>(typed<__half>(p), stream);
  if (storage == KernelStorage::kF16 && d == 128) return launch_backward<__half, 128>(typed<__half>(p), stream);
  dispatch_detail::no_kernel("backward", storage, d);
}

void dispatch_finalize(KernelStorage storage, const ErasedFinalizeParams& e, void* stream) {
  if (storage == KernelStorage::kBf16) {
    return launch_finalize<__nv_bfloat16>(
        {e.shape, e.acc, e.row_max, e.row_sum, static_cast<__nv_bfloat16*>(e.o), e.lse}, stream);
  }
  if (storage == KernelStorage::kF16) {
    return launch_finalize<__half>({e.shape, e.acc, e.row_max, e.row_sum, static_cast<__half*>(e.o), e.lse}, stream);
  }
  dispatch_detail::no_kernel("finalize", storage, e.shape.d);
}

void dispatch_prepare(KernelStorage storage, const ErasedPrepareParams& e, void* stream) {
  if (storage == KernelStorage::kBf16) {
    return launch_prepare<__nv_bfloat16>({e.shape, static_cast<const __nv_bfloat16*>(e.o),
                                          static_cast<const __nv_bfloat16*>(e.dout), e.dsum},
                                         stream);
  }
  if (storage == KernelStorage::kF16) {
    return launch_prepare<__half>(
        {e.shape, static_cast<const __half*>(e.o), static_cast<const __half*>(e.dout), e.dsum}, stream);
  }
  dispatch_detail::no_kernel("backward_prepare", storage, e.shape.d);
}

void dispatch_merge(const MergeParams& p, void* stream) { launch_merge(p, stream); }

}  // namespace ra::kernels::cuda

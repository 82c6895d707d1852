// Definitions of attention_dispatch.h, included by exactly one translation unit per
// build: attention_dispatch.cu (nvcc) or tests/simt/attention_dispatch_simt.cc (emulator).
// The run-time switch is the expansion of the instance table (attention_instances.h),
// and it is what instantiates the kernels: nothing here names a head dim, a storage type
// or a params field.
#pragma once

#include <string>
#include <type_traits>

#include "kernels/cuda/portable.h"
#include "kernels/cuda/attention_dispatch.h"
#include "kernels/cuda/attention_launch.h"
#include "kernels/cuda/row_launch.h"
#include "runtime/core/error.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

namespace dispatch_detail {

// The params are passed to the kernels by value, bit for bit: plain structs, and each
// kernel takes exactly the struct its dispatch function is given (checked per instance
// below), so there is no per-field copy in which a field could be forgotten.
template <typename P>
inline constexpr bool kPlainParams = std::is_trivially_copyable_v<P>&& std::is_standard_layout_v<P>;
static_assert(kPlainParams<ForwardParams> && kPlainParams<BackwardParams> && kPlainParams<FinalizeParams> &&
                  kPlainParams<PrepareParams> && kPlainParams<InitStateParams> && kPlainParams<MergeParams>,
              "kernel params must be plain structs, copied to the device as they are");

// f.template run<T, D, P>() for the table's instance (storage, head_dim, precision);
// false if it has none.
template <typename T, int D, typename F>
bool run_precision(MmaPrecision precision, const F& f) {
#define RA_ATTENTION_X(p)                    \
  if (precision == MmaPrecision::p) {        \
    f.template run<T, D, MmaPrecision::p>(); \
    return true;                             \
  }
  RA_ATTENTION_PRECISIONS(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  return false;
}

template <typename T, typename F>
bool run_head_dim(std::int32_t head_dim, MmaPrecision precision, const F& f) {
#define RA_ATTENTION_X(d) \
  if (head_dim == (d)) return run_precision<T, (d)>(precision, f);
  RA_ATTENTION_HEAD_DIMS(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  return false;
}

template <typename F>
bool run_instance(KernelStorage storage, std::int32_t head_dim, MmaPrecision precision, const F& f) {
  switch (storage) {
#define RA_ATTENTION_X(storage_, type, name, dtype) \
  case KernelStorage::storage_: return run_head_dim<type>(head_dim, precision, f);
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  }
  return false;
}

// f.template run<T>() for the table's storage type; false if it has none.
template <typename F>
bool run_storage(KernelStorage storage, const F& f) {
  switch (storage) {
#define RA_ATTENTION_X(storage_, type, name, dtype) \
  case KernelStorage::storage_: f.template run<type>(); return true;
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  }
  return false;
}

struct Forward {
  const ForwardParams& p;
  void* stream;
  template <typename T, int D, MmaPrecision kP>
  void run() const {
    static_assert(std::is_same_v<decltype(&forward_kernel<T, D, kP>), void (*)(ForwardParams)>);
    launch_forward<T, D, kP>(p, stream);
  }
};

struct Backward {
  const BackwardParams& p;
  void* stream;
  template <typename T, int D, MmaPrecision kP>
  void run() const {
    static_assert(std::is_same_v<decltype(&backward_dkdv_kernel<T, D, kP>), void (*)(BackwardParams)>);
    static_assert(std::is_same_v<decltype(&backward_dq_kernel<T, D, kP>), void (*)(BackwardParams)>);
    launch_backward<T, D, kP>(p, stream);
  }
};

struct Finalize {
  const FinalizeParams& p;
  void* stream;
  template <typename T>
  void run() const {
    static_assert(std::is_same_v<decltype(&finalize_kernel<T>), void (*)(FinalizeParams)>);
    launch_finalize<T>(p, stream);
  }
};

struct Prepare {
  const PrepareParams& p;
  void* stream;
  template <typename T>
  void run() const {
    static_assert(std::is_same_v<decltype(&prepare_kernel<T>), void (*)(PrepareParams)>);
    launch_prepare<T>(p, stream);
  }
};

// "bf16, f16 with head_dim 16, 32, 64, 128, products fast, exact", from the table.
inline std::string built_instances() {
  std::string s;
  for (const KernelStorage k : kKernelStorages) s += std::string(s.empty() ? "" : ", ") + kernel_storage_name(k);
  s += " with head_dim ";
  bool first = true;
  for (const std::int64_t d : kCudaHeadDims) {
    s += (first ? "" : ", ") + std::to_string(d);
    first = false;
  }
  s += ", products ";
  first = true;
  for (const MmaPrecision p : kMmaPrecisions) {
    s += std::string(first ? "" : ", ") + mma_precision_name(p);
    first = false;
  }
  return s;
}

[[noreturn]] inline void no_kernel(const char* op, KernelStorage storage, std::int32_t head_dim) {
  throw UsageError(std::string("CUDA attention ") + op + ": no kernel for storage dtype " +
                   kernel_storage_name(storage) + " with head_dim " + std::to_string(head_dim) +
                   " (built: " + built_instances() + ")");
}

// A params struct's precision, which may hold a value outside the enum.
inline std::string precision_text(MmaPrecision p) {
  for (const MmaPrecision built : kMmaPrecisions)
    if (p == built) return mma_precision_name(p);
  return "?(" + std::to_string(static_cast<int>(p)) + ")";
}

[[noreturn]] inline void no_kernel(const char* op, KernelStorage storage, std::int32_t head_dim,
                                   MmaPrecision precision) {
  throw UsageError(std::string("CUDA attention ") + op + ": no kernel for storage dtype " +
                   kernel_storage_name(storage) + " with head_dim " + std::to_string(head_dim) + " and precision " +
                   precision_text(precision) + " (built: " + built_instances() + ")");
}

}  // namespace dispatch_detail

void dispatch_init_state(const InitStateParams& p, void* stream) { launch_init_state(p, stream); }

void dispatch_forward(KernelStorage storage, const ForwardParams& p, void* stream) {
  if (!dispatch_detail::run_instance(storage, p.shape.d, p.precision, dispatch_detail::Forward{p, stream}))
    dispatch_detail::no_kernel("forward", storage, p.shape.d, p.precision);
}

void dispatch_backward(KernelStorage storage, const BackwardParams& p, void* stream) {
  if (!dispatch_detail::run_instance(storage, p.shape.d, p.precision, dispatch_detail::Backward{p, stream}))
    dispatch_detail::no_kernel("backward", storage, p.shape.d, p.precision);
}

void dispatch_finalize(KernelStorage storage, const FinalizeParams& p, void* stream) {
  if (!dispatch_detail::run_storage(storage, dispatch_detail::Finalize{p, stream}))
    dispatch_detail::no_kernel("finalize", storage, p.shape.d);
}

void dispatch_prepare(KernelStorage storage, const PrepareParams& p, void* stream) {
  if (!dispatch_detail::run_storage(storage, dispatch_detail::Prepare{p, stream}))
    dispatch_detail::no_kernel("backward_prepare", storage, p.shape.d);
}

void dispatch_merge(const MergeParams& p, void* stream) { launch_merge(p, stream); }

// This build's entry points (one build per translation unit that includes this header).
inline const AttentionKernels& this_build_kernels(const char* build) {
  static const AttentionKernels kernels{build,
                                        &dispatch_init_state,
                                        &dispatch_forward,
                                        &dispatch_finalize,
                                        &dispatch_prepare,
                                        &dispatch_backward,
                                        &dispatch_merge};
  return kernels;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

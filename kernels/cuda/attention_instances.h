// The one table of the attention kernels' instances: every storage type below × every
// head dim below × every product precision below (MmaPrecision, attention_params.h). attention_dispatch_impl.h expands
// it into the run-time dispatch, which is what instantiates the kernels (for nvcc and for the emulator alike); the
// launch grids (host/attention_grid.cc), the op's validation (op/cuda_attention.h), the layout checks (tile_config.h)
// and the dispatch's UsageError read the same table. Plain C++17 for nvcc, g++ and the emulator: a row's device type is
// only named where a row is expanded with the CUDA types in scope.
//
// To add a head dim: add it to RA_ATTENTION_HEAD_DIMS (tile_config.h's static_asserts
// refuse one whose layouts do not fit sm_80's shared memory). To add a storage type: add
// a row (and its loads, stores and term split: storage_types.h, split.h). The tile shapes
// of each instance are a constexpr function of (head dim, precision, storage size)
// (tile_config.h).
#pragma once

#include <cstdint>

#include "kernels/cuda/attention_params.h"

// X(KernelStorage enumerator, device type, name, ra::DType enumerator)
#define RA_ATTENTION_STORAGE_TYPES(X)    \
  X(kBf16, __nv_bfloat16, "bf16", kBF16) \
  X(kF16, __half, "f16", kF16)

// X(head dim), built for every storage type.
#define RA_ATTENTION_HEAD_DIMS(X) X(16) X(32) X(64) X(128)

// X(MmaPrecision enumerator), built for every (storage type, head dim).
#define RA_ATTENTION_PRECISIONS(X) X(kFast) X(kExact)

namespace ra::kernels::cuda {

// What the untyped tensors hold. (Not ra::DType: nvcc compiles this header as C++17.)
enum class KernelStorage : std::uint8_t {
#define RA_ATTENTION_X(storage, type, name, dtype) storage,
  RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
};

inline constexpr KernelStorage kKernelStorages[] = {
#define RA_ATTENTION_X(storage, type, name, dtype) KernelStorage::storage,
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
};

// The head dims the kernels are built for.
inline constexpr std::int64_t kCudaHeadDims[] = {
#define RA_ATTENTION_X(d) d,
    RA_ATTENTION_HEAD_DIMS(RA_ATTENTION_X)
#undef RA_ATTENTION_X
};

// The product precisions the kernels are built for.
inline constexpr MmaPrecision kMmaPrecisions[] = {
#define RA_ATTENTION_X(p) MmaPrecision::p,
    RA_ATTENTION_PRECISIONS(RA_ATTENTION_X)
#undef RA_ATTENTION_X
};

inline const char* kernel_storage_name(KernelStorage s) {
  switch (s) {
#define RA_ATTENTION_X(storage, type, name, dtype) \
  case KernelStorage::storage: return name;
    RA_ATTENTION_STORAGE_TYPES(RA_ATTENTION_X)
#undef RA_ATTENTION_X
  }
  return "?";
}

}  // namespace ra::kernels::cuda

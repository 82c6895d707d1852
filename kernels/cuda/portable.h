// The one portability header of the CUDA kernels: the same kernel source compiles with
// nvcc for the GPU and, with RA_SIMT defined, as plain C++ for the SIMT emulator of
// kernels/simt (docs/design.md §9). Kernels use only what this header provides:
//   RA_GLOBAL / RA_DEVICE                 __global__ / __device__ qualifiers
//   RA_SHARED_ARRAY(T, name, N)           static shared memory (bounds-checked in the emulator)
//   RA_DYNAMIC_SHARED(T, name)            the block's dynamic shared memory as T[]
//   RA_DYNAMIC_SHARED_BYTES(name)         the same as a 128-byte aligned unsigned char*, for kernels
//                                         that carve it into several buffers (a write past the end
//                                         is reported by the emulator when the block finishes)
//   RA_LAUNCH(kernel, grid, block, smem_bytes, stream, args...)   every launch, on an explicit stream;
//                                         a launch error throws (nvcc); `kernel` must not contain a
//                                         comma (name a template instance first: auto* k = &f<T, D>)
//   RA_ALLOW_DYNAMIC_SHARED(kernel, bytes) opt in to more than 48 KiB of dynamic shared memory
//   RA_UNROLL                             #pragma unroll for nvcc, nothing for the emulator
//   RA_DEVICE_SHARED_LIMIT_BYTES()        opt-in shared memory per block of the current device
// and the usual built-ins (threadIdx, __syncthreads, __shfl_sync, __ballot_sync, atomicAdd, ...),
// __half / __nv_bfloat16 with their conversions, and nvcuda::wmma (m16n16k16 → fp32).
//
// RA_CUDA_BUILD names the inline namespace (nvcc_build or simt_build) that every header
// with kernel-side code opens inside ra::kernels::cuda: one program may link nvcc's build
// and the emulator's (the cuda and simt backends of ringattn), and their inline kernel
// templates and launchers must not share mangled names — the linker would silently keep
// one of each. The two builds meet only through AttentionKernels (attention_dispatch.h).
#pragma once

#if defined(__CUDACC__)

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#define RA_GLOBAL __global__
// Device functions are defined in headers that several .cu files include (the attention
// and the model kernels link into one binary): inline keeps the one-definition rule, as
// under the emulator below.
#define RA_DEVICE __device__ inline
#define RA_SHARED_ARRAY(T, name, N) __shared__ T name[N]
#define RA_DYNAMIC_SHARED(T, name)                   \
  extern __shared__ unsigned char ra_dynamic_smem[]; \
  T* name = reinterpret_cast<T*>(ra_dynamic_smem)
#define RA_DYNAMIC_SHARED_BYTES(name)                                     \
  extern __shared__ __align__(128) unsigned char ra_dynamic_smem_bytes[]; \
  unsigned char* const name = ra_dynamic_smem_bytes
#include <cstddef>
#include <stdexcept>
#include <string>

namespace ra::kernels::cuda::portable_detail {
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
}  // namespace ra::kernels::cuda::portable_detail

#define RA_LAUNCH(kernel, grid, block, smem_bytes, stream, ...)                                \
  do {                                                                                         \
    kernel<<<(grid), (block), (smem_bytes), static_cast<cudaStream_t>(stream)>>>(__VA_ARGS__); \
    ::ra::kernels::cuda::portable_detail::check(cudaGetLastError(), "launch of " #kernel);     \
  } while (0)
#define RA_ALLOW_DYNAMIC_SHARED(kernel, bytes)                                                            \
  ::ra::kernels::cuda::portable_detail::check(                                                            \
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)), \
      "cudaFuncSetAttribute(MaxDynamicSharedMemorySize) of " #kernel)
#define RA_UNROLL _Pragma("unroll")
#define RA_CUDA_BUILD nvcc_build

namespace ra::kernels::cuda::portable_detail {
// Dynamic shared memory per block the current device allows with the opt-in.
inline std::size_t device_shared_limit_bytes() {
  int device = 0, bytes = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
        "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  return static_cast<std::size_t>(bytes);
}
}  // namespace ra::kernels::cuda::portable_detail
#define RA_DEVICE_SHARED_LIMIT_BYTES() ::ra::kernels::cuda::portable_detail::device_shared_limit_bytes()

#elif defined(RA_SIMT)

#include "kernels/simt/half_types.h"
#include "kernels/simt/simt_api.h"
#include "kernels/simt/wmma.h"

// Kernels are defined in headers that nvcc compiles in one translation unit and the
// emulator's tests may include in several: inline keeps the one-definition rule.
#define RA_GLOBAL inline
#define RA_DEVICE inline
// Blocks run one after another, so one static instance per kernel is the block's shared memory.
#define RA_SHARED_ARRAY(T, name, N) static ::ra::simt::SharedArray<T, N> name
#define RA_DYNAMIC_SHARED(T, name) const ::ra::simt::SharedSpan<T> name
#define RA_DYNAMIC_SHARED_BYTES(name) unsigned char* const name = ::ra::simt::dynamic_shared_base()
// The emulator has no streams: the launch runs to completion in the caller.
#define RA_LAUNCH(kernel, grid, block, smem_bytes, stream, ...)                                                  \
  ((void)(stream),                                                                                               \
   ::ra::simt::launch(                                                                                           \
       ::ra::simt::LaunchShape{{(grid).x, (grid).y, (grid).z}, {(block).x, (block).y, (block).z}, (smem_bytes)}, \
       [&] { kernel(__VA_ARGS__); }))
// The emulator checks dynamic shared memory against its configured device limit instead.
#define RA_ALLOW_DYNAMIC_SHARED(kernel, bytes) ((void)(kernel), (void)(bytes))
#define RA_UNROLL
#define RA_CUDA_BUILD simt_build
// The emulated device's limit (EmulatorOptions::limits).
#define RA_DEVICE_SHARED_LIMIT_BYTES() (::ra::simt::options().limits.max_shared_bytes)

#else
#error "kernels/cuda/portable.h: compile with nvcc, or define RA_SIMT for the emulator"
#endif

// The one portability header of the CUDA kernels: the same kernel source compiles with
// nvcc for the GPU and, with RA_SIMT defined, as plain C++ for the SIMT emulator of
// tests/simt (DESIGN.md §3). Kernels use only what this header provides:
//   RA_GLOBAL / RA_DEVICE                 __global__ / __device__ qualifiers
//   RA_SHARED_ARRAY(T, name, N)           static shared memory (bounds-checked in the emulator)
//   RA_DYNAMIC_SHARED(T, name)            the block's dynamic shared memory as T[]
//   RA_LAUNCH(kernel, grid, block, smem_bytes, stream, args...)   every launch, on an explicit stream
// and the usual built-ins (threadIdx, __syncthreads, __shfl_sync, __ballot_sync, atomicAdd, ...),
// __half / __nv_bfloat16 with their conversions, and nvcuda::wmma (m16n16k16 → fp32).
#pragma once

#if defined(__CUDACC__)

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#define RA_GLOBAL __global__
#define RA_DEVICE __device__
#define RA_SHARED_ARRAY(T, name, N) __shared__ T name[N]
#define RA_DYNAMIC_SHARED(T, name) \
  extern __shared__ unsigned char ra_dynamic_smem[]; \
  T* name = reinterpret_cast<T*>(ra_dynamic_smem)
#define RA_LAUNCH(kernel, grid, block, smem_bytes, stream, ...) \
  kernel<<<(grid), (block), (smem_bytes), static_cast<cudaStream_t>(stream)>>>(__VA_ARGS__)

#elif defined(RA_SIMT)

#include "tests/simt/half_types.h"
#include "tests/simt/simt_api.h"
#include "tests/simt/wmma.h"

// Kernels are defined in headers that nvcc compiles in one translation unit and the
// emulator's tests may include in several: inline keeps the one-definition rule.
#define RA_GLOBAL inline
#define RA_DEVICE inline
// Blocks run one after another, so one static instance per kernel is the block's shared memory.
#define RA_SHARED_ARRAY(T, name, N) static ::ra::simt::SharedArray<T, N> name
#define RA_DYNAMIC_SHARED(T, name) const ::ra::simt::SharedSpan<T> name
// The emulator has no streams: the launch runs to completion in the caller.
#define RA_LAUNCH(kernel, grid, block, smem_bytes, stream, ...)                                                \
  ((void)(stream), ::ra::simt::launch(::ra::simt::LaunchShape{{(grid).x, (grid).y, (grid).z},                     \
                                                              {(block).x, (block).y, (block).z}, (smem_bytes)}, \
                                      [&] { kernel(__VA_ARGS__); }))

#else
#error "kernels/cuda/portable.h: compile with nvcc, or define RA_SIMT for the emulator"
#endif

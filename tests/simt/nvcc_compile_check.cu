// Proof that the emulator's test kernels are real CUDA: nvcc compiles them for every
// target architecture (instantiated here; never launched).
#include "tests/simt/wmma_kernels.h"

template __global__ void ra::simt::tc::gemm_tiles<__nv_bfloat16>(const __nv_bfloat16*, const __nv_bfloat16*, float*,
                                                                 unsigned, unsigned);
template __global__ void ra::simt::tc::gemm_tiles<__half>(const __half*, const __half*, float*, unsigned, unsigned);

// The emulator's build of the CUDA attention kernels and their dispatch: the same source
// nvcc compiles (kernels/cuda/attention_dispatch.cu), here as C++ with RA_SIMT, so the
// CUDA block operation (kernels/cuda/op) runs on the CPU with host memory.
#include "kernels/cuda/attention_dispatch_impl.h"

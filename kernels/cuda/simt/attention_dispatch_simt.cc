// The emulator's build of the CUDA attention kernels and their dispatch: the same source
// nvcc compiles (attention_dispatch.cu), here as C++ with RA_SIMT, so the CUDA block
// operation (kernels/cuda/op) runs on CPU threads with host memory — the `simt` backend,
// `ringattn selftest` without a GPU, and the simt tests.
#include "kernels/cuda/attention_dispatch_impl.h"

namespace ra::kernels::cuda {

const AttentionKernels& simt_attention_kernels() { return this_build_kernels("simt"); }

}  // namespace ra::kernels::cuda

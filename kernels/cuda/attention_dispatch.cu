// nvcc's build of the attention kernels and their dispatch (every storage dtype and head
// dim of attention_instances.h, for every target architecture).
#include "kernels/cuda/attention_dispatch_impl.h"

namespace ra::kernels::cuda {

const AttentionKernels& nvcc_attention_kernels() { return this_build_kernels("nvcc"); }

}  // namespace ra::kernels::cuda

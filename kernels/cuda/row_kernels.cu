// nvcc's instantiation of the per-row kernels and their launchers for every storage dtype
// (the emulator's tests instantiate the same header on the CPU).
#include "kernels/cuda/row_launch.h"

namespace ra::kernels::cuda {

template void launch_finalize<float>(const FinalizeParams<float>&, void*);
template void launch_finalize<__nv_bfloat16>(const FinalizeParams<__nv_bfloat16>&, void*);
template void launch_finalize<__half>(const FinalizeParams<__half>&, void*);
template void launch_prepare<float>(const PrepareParams<float>&, void*);
template void launch_prepare<__nv_bfloat16>(const PrepareParams<__nv_bfloat16>&, void*);
template void launch_prepare<__half>(const PrepareParams<__half>&, void*);

// Referenced so that nvcc compiles the non-template kernels and their launchers.
void row_launchers_compiled(const InitStateParams& init, const MergeParams& merge, void* stream) {
  launch_init_state(init, stream);
  launch_merge(merge, stream);
}

}  // namespace ra::kernels::cuda

#include "runtime/device/cuda/add_launcher.h"

#include "runtime/device/cuda/add_kernel.h"
#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/host/launch_grid.h"

namespace ra::device::cuda {

void launch_add_f32(float* dst, const float* src, std::int64_t n_elems, cudaStream_t stream) {
  const LaunchGrid grid = elementwise_grid(n_elems);
  if (grid.blocks == 0) return;
  // cudaLaunchKernel takes the address of each argument, typed exactly as the kernel's
  // parameters (float*, const float*, std::int64_t).
  void* args[] = {&dst, &src, &n_elems};
  RA_CUDA_CHECK(cudaLaunchKernel(add_f32_kernel(), dim3(static_cast<unsigned>(grid.blocks)),
                                 dim3(static_cast<unsigned>(grid.threads_per_block)), args, 0, stream));
}

}  // namespace ra::device::cuda

// Links nvcc's build of the model kernels (ra_kernels_cuda_model) into an executable
// without running it (CI has no GPU): main only takes the address of a function that
// would launch through the table, so the linker must resolve every kernel instance,
// launcher and CUDA runtime symbol behind ModelKernels.
#include "kernels/cuda/model/model_dispatch.h"

namespace {

void launch_one() {
  const ra::kernels::cuda::ModelKernels& k = ra::kernels::cuda::nvcc_model_kernels();
  k.adamw_update({nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, {}}, nullptr);
}

}  // namespace

int main() {
  void (*volatile probe)() = &launch_one;
  return probe == nullptr ? 1 : 0;
}

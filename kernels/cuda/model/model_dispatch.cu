// nvcc's build of the model kernels and their dispatch (every storage type of
// RA_MODEL_STORAGE_TYPES, for every target architecture).
#include "kernels/cuda/model/model_dispatch_impl.h"

namespace ra::kernels::cuda {

const ModelKernels& nvcc_model_kernels() { return this_build_model_kernels("nvcc"); }

}  // namespace ra::kernels::cuda

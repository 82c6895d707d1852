// The emulator's build of the model kernels and their dispatch: the same source nvcc
// compiles (kernels/cuda/model/model_dispatch.cu), here as C++ with RA_SIMT, so training
// on the `simt` backend and the simt tests run the CUDA model kernels on CPU threads.
#include "kernels/cuda/model/model_dispatch_impl.h"

namespace ra::kernels::cuda {

const ModelKernels& simt_model_kernels() { return this_build_model_kernels("simt"); }

}  // namespace ra::kernels::cuda

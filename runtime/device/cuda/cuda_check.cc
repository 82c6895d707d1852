#include "runtime/device/cuda/cuda_check.h"

#include <string>

namespace ra::device::cuda {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": " + call +
                      " failed: " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

}  // namespace ra::device::cuda

// cuda_parts.h in a build without the CUDA targets (RA_CUDA=OFF, or no nvcc found).
#include "runtime/backend/cuda_parts.h"

#include "runtime/core/error.h"

namespace ra::backend::cuda_parts {
namespace {

[[noreturn]] void not_built() {
  throw UsageError("this ringattn was built without CUDA (RA_CUDA=OFF, or nvcc was not found at configure time)");
}

}  // namespace

bool built() { return false; }
std::unique_ptr<device::Device> make_device(int /*ordinal*/) { not_built(); }
std::unique_ptr<kernels::AttentionBlockOp> make_block_op(device::Stream& /*stream*/,
                                                         kernels::cuda::MmaPrecision /*precision*/) {
  not_built();
}
void complete_backend(comm::Communicator& /*world*/, const BackendOptions& /*options*/,
                      std::unique_ptr<comm::Communicator> /*sp_host*/, std::unique_ptr<comm::Communicator> /*dp_host*/,
                      ring::Backend& /*b*/) {
  not_built();
}

std::unique_ptr<model::DeviceModelParts> make_device_model_parts(ring::Backend& /*b*/, Transport /*transport*/) {
  not_built();
}

}  // namespace ra::backend::cuda_parts

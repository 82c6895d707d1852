// Tensors in the memory of a CUDA device, for the self-test on a GPU: placed with
// cudaMemcpy (host to device), fetched after a device synchronize. The placement owns
// what it places.
#pragma once

#include <memory>
#include <vector>

#include "runtime/device/cuda/cuda_device.h"
#include "runtime/selftest/attention_selftest.h"

namespace ra::selftest {

class CudaPlacement final : public TensorPlacement {
 public:
  explicit CudaPlacement(device::cuda::CudaDevice& device) : device_(device) {}
  TensorView place(const void* src, DType dtype, const Shape& shape) override;
  void fetch(const ConstTensorView& t, void* dst) override;
  void synchronize() override;

 private:
  device::cuda::CudaDevice& device_;
  std::vector<std::unique_ptr<device::DeviceBuffer>> owned_;
};

}  // namespace ra::selftest

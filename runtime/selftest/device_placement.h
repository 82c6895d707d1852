// Tensors of the self-test in a device's memory (a GPU's, or host memory for the CPU
// device), moved through the device's upload/download on the stream the op under test
// runs on. The placement owns what it places.
#pragma once

#include <memory>
#include <vector>

#include "runtime/device/device.h"
#include "runtime/selftest/attention_selftest.h"

namespace ra::selftest {

class DevicePlacement final : public TensorPlacement {
 public:
  DevicePlacement(device::Device& device, device::Stream& stream) : device_(device), stream_(stream) {}
  TensorView place(const void* src, DType dtype, const Shape& shape) override;
  void fetch(const ConstTensorView& t, void* dst) override;
  void synchronize() override { stream_.synchronize(); }

 private:
  device::Device& device_;
  device::Stream& stream_;
  std::vector<std::unique_ptr<device::DeviceBuffer>> owned_;
};

}  // namespace ra::selftest

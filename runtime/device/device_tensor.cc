#include "runtime/device/device_tensor.h"

#include <algorithm>

namespace ra::device {

DeviceTensor::DeviceTensor(Device& device, DType dtype, const Shape& shape)
    : device_(&device),
      dtype_(dtype),
      shape_(shape),
      // A zero-element tensor still gets an address: views of it are valid, never read.
      buffer_(device.allocate(std::max<std::size_t>(size_bytes(), 1))) {}

DeviceTensor DeviceTensor::upload_of(Device& device, const ConstTensorView& host, Stream& stream) {
  DeviceTensor t(device, host.dtype(), host.shape());
  t.upload(host.raw(), stream);
  return t;
}

void DeviceTensor::upload(const void* host, Stream& stream) { device_->upload(view(), host, stream); }

void DeviceTensor::download(void* host, Stream& stream) const { device_->download(host, view(), stream); }

}  // namespace ra::device

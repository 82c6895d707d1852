// A tensor in a device's memory with its transfers to and from host memory: what the
// commands use to put their host inputs where the backend's kernels read (GPU memory on
// the cuda backend, host memory on cpu and simt — the same code either way).
#pragma once

#include <memory>

#include "runtime/core/tensor_view.h"
#include "runtime/device/device.h"

namespace ra::device {

class DeviceTensor {
 public:
  DeviceTensor() = default;
  DeviceTensor(Device& device, DType dtype, const Shape& shape);
  // Allocates a tensor shaped and typed like `host` and uploads it on `stream`; `host`
  // must stay valid until the stream has passed the upload (synchronize).
  static DeviceTensor upload_of(Device& device, const ConstTensorView& host, Stream& stream);

  TensorView view() { return buffer_ ? buffer_->view(dtype_, shape_) : TensorView(); }
  ConstTensorView view() const { return buffer_ ? ConstTensorView(buffer_->view(dtype_, shape_)) : ConstTensorView(); }
  bool empty() const { return buffer_ == nullptr; }
  std::size_t size_bytes() const { return static_cast<std::size_t>(shape_.numel_elems()) * dtype_size_bytes(dtype_); }

  // In stream order; the host side must stay valid until the stream has passed it.
  void upload(const void* host, Stream& stream);
  void download(void* host, Stream& stream) const;

 private:
  Device* device_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_;
  std::shared_ptr<DeviceBuffer> buffer_;
};

}  // namespace ra::device

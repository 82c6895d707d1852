#include "runtime/selftest/device_placement.h"

#include <algorithm>

namespace ra::selftest {

TensorView DevicePlacement::place(const void* src, DType dtype, const Shape& shape) {
  const std::size_t bytes = static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  owned_.push_back(device_.allocate(std::max<std::size_t>(bytes, 1)));  // a zero-size tensor still gets an address
  const TensorView view = owned_.back()->view(dtype, shape);
  if (src != nullptr) {
    device_.upload(view, src, stream_);
  } else {
    device_.fill_zero(view, stream_);
  }
  // The caller's host data need not outlive this call.
  stream_.synchronize();
  return view;
}

void DevicePlacement::fetch(const ConstTensorView& t, void* dst) {
  device_.download(dst, t, stream_);
  stream_.synchronize();
}

}  // namespace ra::selftest

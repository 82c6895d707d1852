#include "runtime/device/device.h"

#include "runtime/core/check.h"

namespace ra::device {

TensorView DeviceBuffer::view(DType dtype, const Shape& shape, std::size_t offset_bytes) {
  const std::size_t need_bytes = offset_bytes + static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  RA_CHECK_LE(InternalError, need_bytes, size_bytes(), "device buffer view ", shape.str(), " ", dtype_name(dtype),
              " at offset ", offset_bytes);
  return TensorView(static_cast<char*>(raw()) + offset_bytes, dtype, shape, kind());
}

}  // namespace ra::device

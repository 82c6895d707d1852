#include "tests/support/storage.h"

namespace ra::testing {

HostBuffer to_storage(const std::vector<float>& x, DType dtype) {
  HostBuffer b(x.size() * dtype_size_bytes(dtype));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (dtype == DType::kF32) {
      static_cast<float*>(b.raw())[i] = x[i];
    } else {
      static_cast<bf16*>(b.raw())[i] = to_bf16(x[i]);
    }
  }
  return b;
}

std::vector<float> to_floats(const ConstTensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel_elems()));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = t.dtype() == DType::kF32 ? t.data<float>()[i] : to_float(t.data<bf16>()[i]);
  return out;
}

}  // namespace ra::testing

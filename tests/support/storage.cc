#include "tests/support/storage.h"

#include <stdexcept>
#include <string>

namespace ra::testing {

HostBuffer to_storage(const std::vector<float>& x, DType dtype) {
  HostBuffer b(x.size() * dtype_size_bytes(dtype));
  for (std::size_t i = 0; i < x.size(); ++i) {
    switch (dtype) {
      case DType::kF32: static_cast<float*>(b.raw())[i] = x[i]; break;
      case DType::kBF16: static_cast<bf16*>(b.raw())[i] = to_bf16(x[i]); break;
      case DType::kF16: static_cast<f16*>(b.raw())[i] = to_f16(x[i]); break;
      default:
        throw std::invalid_argument(std::string("to_storage: not a storage dtype: ") + std::string(dtype_name(dtype)));
    }
  }
  return b;
}

std::vector<float> to_floats(const ConstTensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel_elems()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype()) {
      case DType::kF32: out[i] = t.data<float>()[i]; break;
      case DType::kBF16: out[i] = to_float(t.data<bf16>()[i]); break;
      case DType::kF16: out[i] = to_float(t.data<f16>()[i]); break;
      default:
        throw std::invalid_argument(std::string("to_floats: not a storage dtype: ") +
                                    std::string(dtype_name(t.dtype())));
    }
  }
  return out;
}

}  // namespace ra::testing

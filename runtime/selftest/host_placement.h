// Tensors in host memory, for an op that reads host memory (the CUDA kernels under the
// SIMT emulator, or the CPU kernels). The placement owns what it places.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "runtime/selftest/attention_selftest.h"

namespace ra::selftest {

class HostPlacement final : public TensorPlacement {
 public:
  TensorView place(const void* src, DType dtype, const Shape& shape) override {
    auto buffer = std::make_unique<HostBuffer>(HostBuffer::for_shape(dtype, shape));
    if (src != nullptr) {
      std::memcpy(buffer->raw(), src, buffer->size_bytes());
    } else {
      buffer->fill_zero();
    }
    owned_.push_back(std::move(buffer));
    return owned_.back()->view(dtype, shape);
  }
  void fetch(const ConstTensorView& t, void* dst) override { std::memcpy(dst, t.raw(), t.size_bytes()); }
  void synchronize() override {}

 private:
  std::vector<std::unique_ptr<HostBuffer>> owned_;
};

}  // namespace ra::selftest

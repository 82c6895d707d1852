#include "runtime/selftest/cuda_placement.h"

#include <cuda_runtime.h>

#include "runtime/device/cuda/cuda_check.h"

namespace ra::selftest {

TensorView CudaPlacement::place(const void* src, DType dtype, const Shape& shape) {
  const std::size_t bytes = static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  owned_.push_back(device_.allocate(bytes == 0 ? 1 : bytes));
  void* dst = owned_.back()->raw();
  device_.make_current();
  if (src != nullptr) {
    RA_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  } else {
    RA_CUDA_CHECK(cudaMemset(dst, 0, bytes));
  }
  return owned_.back()->view(dtype, shape);
}

void CudaPlacement::fetch(const ConstTensorView& t, void* dst) {
  device_.make_current();
  RA_CUDA_CHECK(cudaMemcpy(dst, t.raw(), t.size_bytes(), cudaMemcpyDeviceToHost));
}

void CudaPlacement::synchronize() {
  device_.make_current();
  RA_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace ra::selftest

// Device memory from cudaMalloc.
#pragma once

#include <cstddef>
#include <memory>

#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

class CudaBuffer final : public DeviceBuffer {
 public:
  // Out of memory is an ra::InternalError naming the size asked for.
  CudaBuffer(std::size_t size_bytes, std::shared_ptr<DeviceContext> context);
  // cudaFree synchronizes with the whole device; on a failed device (work may be stuck
  // behind a dead peer) the memory is left to the exiting process instead.
  ~CudaBuffer() override;
  CudaBuffer(const CudaBuffer&) = delete;
  CudaBuffer& operator=(const CudaBuffer&) = delete;

  std::size_t size_bytes() const override { return size_bytes_; }
  void* raw() override { return data_; }
  DeviceKind kind() const override { return DeviceKind::kCuda; }

 private:
  std::shared_ptr<DeviceContext> context_;
  void* data_ = nullptr;
  std::size_t size_bytes_ = 0;
};

}  // namespace ra::device::cuda

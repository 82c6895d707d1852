// The CUDA stager: device ↔ page-locked host copies (cudaMemcpyAsync on a private CUDA
// stream of the device, then a polled synchronize with the device's deadline and wait
// monitors). Built with CUDA only (target ra_comm_staged_cuda). The private stream keeps
// staging copies out of the compute stream's order: they wait for nothing but the events
// the comm stream already waited for, and run on the copy engines beside the kernels.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

#include "comm/staged/stager.h"
#include "runtime/device/cuda/cuda_device.h"

namespace ra::comm::staged {

class CudaStager final : public Stager {
 public:
  // `device` must outlive the stager (and every staging buffer it allocated).
  explicit CudaStager(device::cuda::CudaDevice& device);

  DeviceKind staged_kind() const override { return DeviceKind::kCuda; }
  void copy_to_host(void* dst_host, ConstTensorView src) override;
  void copy_to_device(TensorView dst, const void* src_host) override;
  // cudaHostAlloc'd (CudaDevice::allocate_pinned): DMA-able without a driver bounce.
  std::unique_ptr<StagingBuffer> allocate_pinned(std::size_t size_bytes) override;

 private:
  device::cuda::CudaDevice& device_;
  // One private stream, so one copy at a time: the lock keeps a collective's copy on the
  // host thread from waiting out an exchange's copy it has no business with.
  std::mutex mu_;
  std::unique_ptr<device::Stream> stream_;
};

}  // namespace ra::comm::staged

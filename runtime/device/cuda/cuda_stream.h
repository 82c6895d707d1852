// A CUDA stream (created cudaStreamNonBlocking: it never synchronizes with the legacy
// default stream that libraries may use behind our back).
//
// Differences from the CPU streams that callers see:
//  - launch(label, fn) runs fn now, on the calling thread, with this device current; fn
//    enqueues device work on native_handle(). If fn throws, the exception reaches the
//    caller of launch() instead of poisoning the stream.
//  - A failure inside device work (a faulting kernel) is sticky in CUDA: it surfaces as
//    ra::InternalError from the next synchronize() on any stream or event.
//  - wait(event) on an event recorded last on a host-worker stream (CudaHostStream)
//    blocks the calling host thread until the host worker got there, and throws the
//    failure that event carries (docs/design.md §3, "Host-worker streams").
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <string>

#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

class CudaStream final : public Stream {
 public:
  CudaStream(std::string name, std::shared_ptr<DeviceContext> context);
  ~CudaStream() override;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  std::string_view name() const override { return name_; }
  void launch(std::string_view label, std::function<void()> work) override;
  void record(Event& event) override;
  void wait(Event& event) override;
  void synchronize() override;
  void* native_handle() override { return stream_; }

  cudaStream_t native() const { return stream_; }

 private:
  std::string name_;
  std::shared_ptr<DeviceContext> context_;
  cudaStream_t stream_ = nullptr;
};

// The CUDA stream behind a device::Stream; ra::InternalError for a stream of another device.
CudaStream& as_cuda(Stream& stream);

}  // namespace ra::device::cuda

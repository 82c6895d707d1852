// A host-worker stream of the CUDA device (docs/design.md §3, "Host-worker streams"):
// launched work runs later, in order, on the stream's own host thread — the CPU
// stream's machinery (cpu::CpuStream), so it may block: MPI calls, synchronous staging
// copies between device and pinned host memory. It is not a CUDA stream: Device::copy,
// fill_zero, add_f32, upload and download reject it, and native_handle() is null.
//
// Ordering with the device's CUDA streams goes through CudaEvents, with CUDA semantics
// (a wait targets the record issued last before it):
//  - record(event): the event's record becomes a host completion, completed when the
//    worker gets there — carrying the stream's failure if it is poisoned;
//  - wait(event recorded on a CUDA stream): captured now (a cudaStreamWaitEvent plus a
//    marker event on a private "shadow" CUDA stream), then the worker polls the marker
//    under the device's deadline and wait monitors before running later work; a CUDA
//    error or the deadline poisons the stream;
//  - wait(event recorded on a host-worker stream): the worker blocks on its completion;
//    its failure poisons this stream;
//  - a CUDA stream waiting on an event recorded here blocks the enqueuing host thread
//    (CudaStream::wait).
// Work launched here must finish the device work it issues before it returns (e.g.
// synchronize the stream of its copies): completing the record is all a CUDA stream
// waiting on it will see.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/device/cpu/cpu_stream.h"
#include "runtime/device/cuda/device_context.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

class CudaHostStream final : public Stream {
 public:
  // `observer` (may be null) receives the spans of work and waits, as on the CPU device.
  CudaHostStream(std::string name, std::shared_ptr<DeviceContext> context, StreamObserver* observer);
  ~CudaHostStream() override;  // drains the worker's queue, then releases the shadow stream
  CudaHostStream(const CudaHostStream&) = delete;
  CudaHostStream& operator=(const CudaHostStream&) = delete;

  std::string_view name() const override { return worker_->name(); }
  // `work` runs on the worker thread with this device current.
  void launch(std::string_view label, std::function<void()> work) override;
  void record(Event& event) override;
  void wait(Event& event) override;
  void synchronize() override { worker_->synchronize(); }
  void* native_handle() override { return nullptr; }

 private:
  std::shared_ptr<DeviceContext> context_;
  // Carries only waits and marker records: a marker completes exactly when the record a
  // wait() captured does, however often that event is recorded again afterwards.
  cudaStream_t shadow_ = nullptr;
  std::unique_ptr<cpu::CpuStream> worker_;  // reset first in the destructor: drains tasks using shadow_
};

}  // namespace ra::device::cuda

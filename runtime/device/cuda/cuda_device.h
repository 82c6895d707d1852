// The CUDA device (docs/design.md §3): thin wrappers over cudaStream_t, cudaEvent_t and
// cudaMalloc. Plain C++ header (no CUDA includes), so code that only constructs the
// device needs no toolkit headers.
//
// Host waits never block inside the driver: Event/Stream::synchronize poll with a
// sleep, run the registered WaitMonitors between polls (the NCCL communicator turns a
// stalled or failed peer into ra::PeerError there) and give up at sync_timeout.
//
// Entry points make this device current on the calling thread, so any host thread may
// use it. The observer sees host-worker streams' spans from their threads, and CUDA
// streams' spans from timing events (cuda_stream.h) for the streams it observes().
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "runtime/device/cuda/device_context.h"
#include "runtime/device/cuda/pinned_host_buffer.h"
#include "runtime/device/device.h"

namespace ra::device::cuda {

// GPUs this process sees (CUDA_VISIBLE_DEVICES applied): 0 when the driver reports no
// device; a CudaError when the driver is missing or broken (the message says which).
int visible_device_count();
// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (nvidia-smi's form) of a visible GPU: the
// same physical GPU gives the same string in every process, whatever its ordinal there.
std::string device_uuid(int ordinal);

class CudaDevice final : public Device {
 public:
  // ra::UsageError when the ordinal names no visible device.
  explicit CudaDevice(CudaDeviceOptions options = {});

  DeviceKind kind() const override { return DeviceKind::kCuda; }
  std::unique_ptr<Stream> create_stream(std::string name) override;
  // A CudaHostStream (cuda_host_stream.h): host-side work (MPI calls, staging copies)
  // in order on its own thread, ordered with the CUDA streams by this device's events.
  std::unique_ptr<Stream> create_host_stream(std::string name) override;
  std::unique_ptr<Event> create_event() override;
  std::unique_ptr<DeviceBuffer> allocate(std::size_t size_bytes) override;
  // Device-to-device views only (as on CPU, both views belong to this device).
  void copy(TensorView dst, ConstTensorView src, Stream& stream) override;
  void fill_zero(TensorView dst, Stream& stream) override;
  void add_f32(TensorView dst, ConstTensorView src, Stream& stream) override;
  void upload(TensorView dst, const void* src_host, Stream& stream) override;
  void download(void* dst_host, ConstTensorView src, Stream& stream) override;
  // Streams created afterwards report to it (host-worker streams from their threads,
  // CUDA streams from timing events).
  void set_observer(StreamObserver* observer) override { observer_ = observer; }

  std::unique_ptr<PinnedHostBuffer> allocate_pinned(std::size_t size_bytes);

  const CudaDeviceOptions& options() const { return context_->options(); }
  void make_current() const { context_->make_current(); }
  // The monitor is asked between the polls of every host wait on this device until the
  // registration is destroyed.
  [[nodiscard]] WaitMonitorRegistration add_wait_monitor(WaitMonitor& monitor) {
    return context_->monitors().add(monitor);
  }
  // Called by whoever gives up on the device (an aborted communicator): frees that
  // would synchronize with stuck work are skipped from now on.
  void mark_failed() { context_->mark_failed(); }
  DeviceHealth health() const { return context_->health(); }

 private:
  std::shared_ptr<DeviceContext> context_;
  StreamObserver* observer_ = nullptr;
};

}  // namespace ra::device::cuda

// The CPU device: host memory, worker-thread streams, CPU events.
#pragma once

#include <string>
#include <utility>

#include "runtime/device/device.h"

namespace ra::device::cpu {

class CpuDevice final : public Device {
 public:
  DeviceKind kind() const override { return DeviceKind::kCpu; }
  std::unique_ptr<Stream> create_stream(std::string name) override;
  // Every CPU stream already runs on a host worker thread.
  std::unique_ptr<Stream> create_host_stream(std::string name) override { return create_stream(std::move(name)); }
  std::unique_ptr<Event> create_event() override;
  std::unique_ptr<DeviceBuffer> allocate(std::size_t size_bytes) override;
  void copy(TensorView dst, ConstTensorView src, Stream& stream) override;
  void fill_zero(TensorView dst, Stream& stream) override;
  void add_f32(TensorView dst, ConstTensorView src, Stream& stream) override;
  void upload(TensorView dst, const void* src_host, Stream& stream) override;
  void download(void* dst_host, ConstTensorView src, Stream& stream) override;
  void set_observer(StreamObserver* observer) override { observer_ = observer; }

 private:
  StreamObserver* observer_ = nullptr;
};

}  // namespace ra::device::cpu

#include "runtime/device/cpu/cpu_device.h"

#include <cstring>

#include "runtime/core/check.h"
#include "runtime/device/cpu/cpu_event.h"
#include "runtime/device/cpu/cpu_stream.h"

namespace ra::device::cpu {
namespace {

class CpuBuffer final : public DeviceBuffer {
 public:
  explicit CpuBuffer(std::size_t size_bytes) : host_(size_bytes) {}
  std::size_t size_bytes() const override { return host_.size_bytes(); }
  void* raw() override { return host_.raw(); }
  DeviceKind kind() const override { return DeviceKind::kCpu; }

 private:
  HostBuffer host_;
};

void check_cpu(const ConstTensorView& t, const char* what) {
  RA_CHECK_EQ(InternalError, static_cast<int>(t.device()), static_cast<int>(DeviceKind::kCpu), what,
              " view is not host memory");
}

}  // namespace

std::unique_ptr<Stream> CpuDevice::create_stream(std::string name) {
  return std::make_unique<CpuStream>(std::move(name), observer_);
}

std::unique_ptr<Event> CpuDevice::create_event() { return std::make_unique<CpuEvent>(); }

std::unique_ptr<DeviceBuffer> CpuDevice::allocate(std::size_t size_bytes) {
  return std::make_unique<CpuBuffer>(size_bytes);
}

void CpuDevice::copy(TensorView dst, ConstTensorView src, Stream& stream) {
  check_cpu(dst, "copy destination");
  check_cpu(src, "copy source");
  RA_CHECK_EQ(InternalError, dst.size_bytes(), src.size_bytes(), "copy ", src.shape().str(), " -> ", dst.shape().str());
  stream.launch("copy", [dst, src] { std::memcpy(dst.raw(), src.raw(), src.size_bytes()); });
}

void CpuDevice::fill_zero(TensorView dst, Stream& stream) {
  check_cpu(dst, "fill destination");
  stream.launch("zero", [dst] { std::memset(dst.raw(), 0, dst.size_bytes()); });
}

void CpuDevice::add_f32(TensorView dst, ConstTensorView src, Stream& stream) {
  check_cpu(dst, "add destination");
  check_cpu(src, "add source");
  RA_CHECK_EQ(InternalError, dst.numel_elems(), src.numel_elems(), "add ", src.shape().str(), " to ",
              dst.shape().str());
  RA_CHECK_EQ(InternalError, dtype_name(dst.dtype()), dtype_name(DType::kF32), "add_f32 destination");
  RA_CHECK_EQ(InternalError, dtype_name(src.dtype()), dtype_name(DType::kF32), "add_f32 source");
  stream.launch("add", [dst, src] {
    float* d = dst.data<float>();
    const float* s = src.data<float>();
    const std::int64_t n = dst.numel_elems();
    for (std::int64_t i = 0; i < n; ++i) d[i] += s[i];
  });
}

void CpuDevice::upload(TensorView dst, const void* src_host, Stream& stream) {
  check_cpu(dst, "upload destination");
  if (dst.size_bytes() == 0) return;
  stream.launch("upload", [dst, src_host] { std::memcpy(dst.raw(), src_host, dst.size_bytes()); });
}

void CpuDevice::download(void* dst_host, ConstTensorView src, Stream& stream) {
  check_cpu(src, "download source");
  if (src.size_bytes() == 0) return;
  stream.launch("download", [dst_host, src] { std::memcpy(dst_host, src.raw(), src.size_bytes()); });
}

}  // namespace ra::device::cpu

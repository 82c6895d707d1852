#include "comm/staged/stager.h"

#include <cstring>

#include "runtime/core/check.h"

namespace ra::comm::staged {
namespace {

class HostStagingBuffer final : public StagingBuffer {
 public:
  explicit HostStagingBuffer(std::size_t size_bytes) : host_(size_bytes) {}
  void* raw() override { return host_.raw(); }
  std::size_t size_bytes() const override { return host_.size_bytes(); }

 private:
  HostBuffer host_;
};

void check_host(const ConstTensorView& t, const char* what) {
  RA_CHECK_EQ(InternalError, static_cast<int>(t.device()), static_cast<int>(DeviceKind::kCpu), what,
              ": the host stager copies host memory only");
}

}  // namespace

void HostStager::copy_to_host(void* dst_host, ConstTensorView src) {
  check_host(src, "staging copy source");
  if (src.size_bytes() > 0) std::memcpy(dst_host, src.raw(), src.size_bytes());
}

void HostStager::copy_to_device(TensorView dst, const void* src_host) {
  check_host(dst, "staging copy destination");
  if (dst.size_bytes() > 0) std::memcpy(dst.raw(), src_host, dst.size_bytes());
}

std::unique_ptr<StagingBuffer> HostStager::allocate_pinned(std::size_t size_bytes) {
  return std::make_unique<HostStagingBuffer>(size_bytes);
}

}  // namespace ra::comm::staged

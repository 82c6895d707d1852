#include "runtime/device/cuda/cuda_device.h"

#include <string>
#include <utility>

#include "runtime/device/cuda/add_launcher.h"
#include "runtime/device/cuda/cuda_buffer.h"
#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_event.h"
#include "runtime/device/cuda/cuda_host_stream.h"
#include "runtime/device/cuda/cuda_stream.h"

namespace ra::device::cuda {
namespace {

void check_cuda_view(const ConstTensorView& t, const char* what) {
  RA_CHECK_EQ(InternalError, static_cast<int>(t.device()), static_cast<int>(DeviceKind::kCuda), what,
              " view is not CUDA device memory");
}

}  // namespace

int visible_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaErrorNoDevice) {
    cudaGetLastError();  // not sticky: clear it, and report no device
    return 0;
  }
  RA_CUDA_CHECK(status);
  return count;
}

std::string device_uuid(int ordinal) {
  cudaDeviceProp prop{};
  RA_CUDA_CHECK(cudaGetDeviceProperties(&prop, ordinal));
  static const char* hex = "0123456789abcdef";
  std::string out = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto b = static_cast<unsigned char>(prop.uuid.bytes[i]);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

CudaDevice::CudaDevice(CudaDeviceOptions options) : context_(std::make_shared<DeviceContext>(options)) {
  const int count = visible_device_count();
  RA_CHECK(UsageError, options.ordinal >= 0 && options.ordinal < count, "CUDA device ordinal ", options.ordinal,
           " does not exist: this node shows ", count, " device(s)");
  context_->make_current();
}

std::unique_ptr<Stream> CudaDevice::create_stream(std::string name) {
  return std::make_unique<CudaStream>(std::move(name), context_, observer_);
}

std::unique_ptr<Stream> CudaDevice::create_host_stream(std::string name) {
  return std::make_unique<CudaHostStream>(std::move(name), context_, observer_);
}

std::unique_ptr<Event> CudaDevice::create_event() { return std::make_unique<CudaEvent>(context_); }

std::unique_ptr<DeviceBuffer> CudaDevice::allocate(std::size_t size_bytes) {
  return std::make_unique<CudaBuffer>(size_bytes, context_);
}

std::unique_ptr<PinnedHostBuffer> CudaDevice::allocate_pinned(std::size_t size_bytes) {
  return std::make_unique<PinnedHostBuffer>(size_bytes, context_);
}

void CudaDevice::copy(TensorView dst, ConstTensorView src, Stream& stream) {
  check_cuda_view(dst, "copy destination");
  check_cuda_view(src, "copy source");
  RA_CHECK_EQ(InternalError, dst.size_bytes(), src.size_bytes(), "copy ", src.shape().str(), " -> ", dst.shape().str());
  if (src.size_bytes() == 0) return;
  CudaStream& s = as_cuda(stream);
  make_current();
  RA_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src.raw(), src.size_bytes(), cudaMemcpyDeviceToDevice, s.native()));
}

void CudaDevice::fill_zero(TensorView dst, Stream& stream) {
  check_cuda_view(dst, "fill destination");
  if (dst.size_bytes() == 0) return;
  CudaStream& s = as_cuda(stream);
  make_current();
  RA_CUDA_CHECK(cudaMemsetAsync(dst.raw(), 0, dst.size_bytes(), s.native()));
}

void CudaDevice::add_f32(TensorView dst, ConstTensorView src, Stream& stream) {
  check_cuda_view(dst, "add destination");
  check_cuda_view(src, "add source");
  RA_CHECK_EQ(InternalError, dst.numel_elems(), src.numel_elems(), "add ", src.shape().str(), " to ",
              dst.shape().str());
  CudaStream& s = as_cuda(stream);
  make_current();
  launch_add_f32(dst.data<float>(), src.data<float>(), dst.numel_elems(), s.native());
}

// Pageable host memory is staged by the driver; pinned memory (allocate_pinned) is
// copied by DMA asynchronously. Either way Device's contract holds: the host side stays
// valid until the stream has passed the transfer.
void CudaDevice::upload(TensorView dst, const void* src_host, Stream& stream) {
  check_cuda_view(dst, "upload destination");
  if (dst.size_bytes() == 0) return;
  CudaStream& s = as_cuda(stream);
  make_current();
  RA_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src_host, dst.size_bytes(), cudaMemcpyHostToDevice, s.native()));
}

void CudaDevice::download(void* dst_host, ConstTensorView src, Stream& stream) {
  check_cuda_view(src, "download source");
  if (src.size_bytes() == 0) return;
  CudaStream& s = as_cuda(stream);
  make_current();
  RA_CUDA_CHECK(cudaMemcpyAsync(dst_host, src.raw(), src.size_bytes(), cudaMemcpyDeviceToHost, s.native()));
}

}  // namespace ra::device::cuda

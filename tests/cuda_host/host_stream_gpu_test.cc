// On a GPU only (skipped without one; CI has none): the CUDA device's host-worker
// streams against its CUDA streams — events both ways with CUDA's semantics, failures
// reaching the waiter — and the CUDA stager's round trip through pinned memory.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "comm/staged/cuda_stager.h"
#include "runtime/core/error.h"
#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_device.h"

namespace ra::device::cuda {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool have_gpu() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) cudaGetLastError();  // no driver or no device: not sticky
  return status == cudaSuccess && count > 0;
}

#define RA_SKIP_WITHOUT_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device"

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Holds a CUDA stream for `ms` milliseconds (a host function in stream order).
void hold(Stream& stream, int ms) {
  static_assert(sizeof(void*) >= sizeof(std::intptr_t));
  RA_CUDA_CHECK(cudaLaunchHostFunc(
      static_cast<cudaStream_t>(stream.native_handle()),
      [](void* arg) { std::this_thread::sleep_for(milliseconds(reinterpret_cast<std::intptr_t>(arg))); },
      reinterpret_cast<void*>(static_cast<std::intptr_t>(ms))));
}

TEST(CudaHostStream, RunsAfterTheDeviceWorkItWaitsFor) {
  RA_SKIP_WITHOUT_GPU();
  CudaDevice dev;
  auto compute = dev.create_stream("compute");
  auto host = dev.create_host_stream("comm");
  auto e = dev.create_event();
  auto buf = dev.allocate(sizeof(float));
  const TensorView v = buf->view(DType::kF32, Shape{1});
  const float three = 3.0f;
  hold(*compute, 100);
  dev.upload(v, &three, *compute);
  compute->record(*e);
  host->wait(*e);
  float seen = 0.0f;
  host->launch("read", [&] { RA_CUDA_CHECK(cudaMemcpy(&seen, buf->raw(), sizeof seen, cudaMemcpyDeviceToHost)); });
  host->synchronize();
  EXPECT_EQ(seen, 3.0f);
  compute->synchronize();
}

// CUDA semantics: the wait captured the record issued before it, not the one after.
TEST(CudaHostStream, AWaitTargetsTheRecordIssuedBeforeIt) {
  RA_SKIP_WITHOUT_GPU();
  CudaDevice dev;
  auto compute = dev.create_stream("compute");
  auto host = dev.create_host_stream("comm");
  auto e = dev.create_event();
  compute->record(*e);                                                          // nothing pending: complete at once
  host->launch("busy", [] { std::this_thread::sleep_for(milliseconds(50)); });  // the worker polls later
  host->wait(*e);
  hold(*compute, 400);
  compute->record(*e);  // recorded again, pending for 400 ms
  const auto t0 = Clock::now();
  host->launch("after", [] {});
  host->synchronize();
  EXPECT_LT(seconds_since(t0), 0.3) << "the host-worker stream waited for the later record";
  compute->synchronize();
}

TEST(CudaStream, WaitingOnAHostRecordBlocksTheEnqueuerUntilTheWorkerGotThere) {
  RA_SKIP_WITHOUT_GPU();
  CudaDevice dev;
  auto compute = dev.create_stream("compute");
  auto host = dev.create_host_stream("comm");
  auto e = dev.create_event();
  auto buf = dev.allocate(4 * sizeof(float));
  const TensorView v = buf->view(DType::kF32, Shape{4});
  host->launch("slow write", [&] {
    std::this_thread::sleep_for(milliseconds(100));
    const std::vector<float> ones(4, 1.0f);
    RA_CUDA_CHECK(cudaMemcpy(buf->raw(), ones.data(), 4 * sizeof(float), cudaMemcpyHostToDevice));
  });
  host->record(*e);
  const auto t0 = Clock::now();
  compute->wait(*e);
  EXPECT_GE(seconds_since(t0), 0.08);
  dev.add_f32(v, v, *compute);
  std::vector<float> out(4);
  dev.download(out.data(), v, *compute);
  compute->synchronize();
  EXPECT_EQ(out, std::vector<float>(4, 2.0f));
  e->synchronize();
}

TEST(CudaStream, AFailureOnTheHostStreamReachesTheWaiter) {
  RA_SKIP_WITHOUT_GPU();
  CudaDevice dev;
  auto compute = dev.create_stream("compute");
  auto host = dev.create_host_stream("comm");
  auto e = dev.create_event();
  bool skipped_ran = false;
  host->launch("hop", [] { throw PeerError("fwd kv step 1 hop 1: no data from peer rank 1"); });
  host->launch("skipped", [&] { skipped_ran = true; });
  host->record(*e);
  EXPECT_THROW(compute->wait(*e), PeerError);
  EXPECT_THROW(e->synchronize(), PeerError);
  EXPECT_THROW(host->synchronize(), PeerError);
  EXPECT_FALSE(skipped_ran);
  EXPECT_EQ(dev.health(), DeviceHealth::kHealthy) << "a peer's failure is not the device's";
}

TEST(CudaStager, RoundTripThroughPinnedMemory) {
  RA_SKIP_WITHOUT_GPU();
  CudaDevice dev;
  comm::staged::CudaStager stager(dev);
  const std::int64_t n = 1 << 20;
  auto a = dev.allocate(static_cast<std::size_t>(n) * sizeof(float));
  auto b = dev.allocate(static_cast<std::size_t>(n) * sizeof(float));
  std::vector<float> src(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
  auto stream = dev.create_stream("s");
  dev.upload(a->view(DType::kF32, Shape{n}), src.data(), *stream);
  stream->synchronize();
  auto pinned = stager.allocate_pinned(static_cast<std::size_t>(n) * sizeof(float));
  stager.copy_to_host(pinned->raw(), a->view(DType::kF32, Shape{n}));
  stager.copy_to_device(b->view(DType::kF32, Shape{n}), pinned->raw());
  std::vector<float> out(static_cast<std::size_t>(n));
  dev.download(out.data(), b->view(DType::kF32, Shape{n}), *stream);
  stream->synchronize();
  EXPECT_EQ(out, src);
}

}  // namespace
}  // namespace ra::device::cuda

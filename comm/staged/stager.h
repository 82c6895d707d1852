// How the staged communicator (staged_communicator.h) moves device memory to and from
// host memory: blocking copies through staging buffers the stager allocates (page-locked
// on CUDA, so the copies are DMA transfers). Two implementations: HostStager below (host
// memory, memcpy: the CPU device and tests) and CudaStager (cuda_stager.h, built with
// CUDA only).
#pragma once

#include <cstddef>
#include <memory>

#include "runtime/core/tensor_view.h"

namespace ra::comm::staged {

// Host memory a stager copies through.
class StagingBuffer {
 public:
  virtual ~StagingBuffer() = default;
  virtual void* raw() = 0;
  virtual std::size_t size_bytes() const = 0;
};

class Stager {
 public:
  virtual ~Stager() = default;
  // The memory this stager copies from and to. The staged communicator stages views of
  // this kind; host views (DeviceKind::kCpu) of a stager for another kind go to the
  // inner communicator as they are (e.g. the ring's schedule metadata).
  virtual DeviceKind staged_kind() const = 0;
  // Blocking: when these return the copy has completed. `src`/`dst` must be of
  // staged_kind() (ra::InternalError otherwise); the host side holds the view's bytes.
  // Thread safe: the comm stream's worker and the host thread may copy at the same time.
  virtual void copy_to_host(void* dst_host, ConstTensorView src) = 0;
  virtual void copy_to_device(TensorView dst, const void* src_host) = 0;
  virtual std::unique_ptr<StagingBuffer> allocate_pinned(std::size_t size_bytes) = 0;
};

// Host memory "staged" through host memory: memcpy both ways. The CPU device's stager,
// and the one the tests use to run the staging path over the real MPI communicator.
class HostStager final : public Stager {
 public:
  DeviceKind staged_kind() const override { return DeviceKind::kCpu; }
  void copy_to_host(void* dst_host, ConstTensorView src) override;
  void copy_to_device(TensorView dst, const void* src_host) override;
  std::unique_ptr<StagingBuffer> allocate_pinned(std::size_t size_bytes) override;
};

}  // namespace ra::comm::staged

#include "runtime/device/cuda/cuda_host_stream.h"

#include <utility>

#include "runtime/device/cpu/cpu_event.h"
#include "runtime/device/cuda/cuda_check.h"
#include "runtime/device/cuda/cuda_event.h"

namespace ra::device::cuda {

CudaHostStream::CudaHostStream(std::string name, std::shared_ptr<DeviceContext> context, StreamObserver* observer)
    : context_(std::move(context)) {
  context_->make_current();
  RA_CUDA_CHECK(cudaStreamCreateWithFlags(&shadow_, cudaStreamNonBlocking));
  worker_ = std::make_unique<cpu::CpuStream>(std::move(name), observer);
}

CudaHostStream::~CudaHostStream() {
  worker_.reset();
  cudaStreamDestroy(shadow_);
}

void CudaHostStream::launch(std::string_view label, std::function<void()> work) {
  // cudaSetDevice is per thread: the worker makes the device current before each piece
  // of work, which then may call the CUDA runtime (a staging copy) on it.
  worker_->launch(label, [context = context_, work = std::move(work)] {
    context->make_current();
    work();
  });
}

void CudaHostStream::record(Event& event) { worker_->record_completion(as_cuda(event).record_on_host()); }

void CudaHostStream::wait(Event& event) {
  CudaEvent& e = as_cuda(event);
  // A marker recorded on the shadow stream behind a cudaStreamWaitEvent completes when
  // the record that is current *now* does: the worker must not poll `e` itself, which
  // by then may have been recorded again (by a later step of the same loop).
  std::shared_ptr<cpu::Completion> host;
  switch (e.enqueue_device_wait(shadow_, host)) {
    case RecordedOn::kNothing: return;  // never recorded: nothing to wait for
    case RecordedOn::kHost: worker_->wait_until("wait", [host] { return host->wait(); }); return;
    case RecordedOn::kDevice: break;
  }
  auto marker = std::make_shared<CudaEvent>(context_);
  marker->record_on_device(shadow_);
  worker_->wait_until("wait", [context = context_, marker] {
    context->make_current();
    marker->synchronize();  // polls with the device's deadline and monitors; throws to poison
    return std::exception_ptr{};
  });
}

}  // namespace ra::device::cuda

// Device, Stream and Event with CUDA semantics (docs/design.md §3). The ring executor talks
// only to these interfaces, so the same scheduling code runs on CPU worker threads
// (runtime/device/cpu) and on CUDA streams (runtime/device/cuda).
//
//   stream.launch(label, fn)  fn issues one piece of work in stream order.
//                             CPU: fn runs later on the stream's worker thread.
//                             CUDA: fn runs now on the calling thread and must only
//                             enqueue device work on native_handle().
//   stream.record(event)      the event completes when all work launched so far has.
//   stream.wait(event)        work launched later waits for the event (host not blocked).
//   event / stream .synchronize()   the host blocks; rethrows the first failure.
//
// Device::create_host_stream makes a host-worker stream: its work runs in order on its
// own host thread on every device, so it may block (MPI calls, synchronous staging
// copies). On CUDA it orders itself with the device's CUDA streams through the same
// events (docs/design.md §3, "Host-worker streams").
//
// Failures: work that throws poisons its stream. Later work on it is skipped, events
// recorded on it complete *with the error*, and streams waiting on them are poisoned in
// turn — so a failed receive can never leave another stream blocked forever.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/core/tensor_view.h"

namespace ra::device {

class Stream;

class Event {
 public:
  virtual ~Event() = default;
  // Blocks the host until the event completed; rethrows the failure it carries.
  virtual void synchronize() = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;
  virtual std::string_view name() const = 0;
  virtual void launch(std::string_view label, std::function<void()> work) = 0;
  virtual void record(Event& event) = 0;
  virtual void wait(Event& event) = 0;
  virtual void synchronize() = 0;
  // cudaStream_t on CUDA; nullptr on CPU.
  virtual void* native_handle() = 0;
};

// Owning device memory; hands out views of the device's kind.
class DeviceBuffer {
 public:
  virtual ~DeviceBuffer() = default;
  virtual std::size_t size_bytes() const = 0;
  virtual void* raw() = 0;
  TensorView view(DType dtype, const Shape& shape, std::size_t offset_bytes = 0);
  virtual DeviceKind kind() const = 0;
};

// What a stream did during a span: worked, or sat blocked on an event.
enum class SpanKind : std::uint8_t { kWork, kWait };

// One span of a stream's time (CPU streams report them; see StreamObserver).
struct Span {
  std::string_view stream;
  std::string_view label;
  std::chrono::steady_clock::time_point begin, end;
  SpanKind kind = SpanKind::kWork;
};

class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  // Called from the stream's thread; must be thread safe.
  virtual void on_span(const Span& span) = 0;
  // Whether the spans of stream `name` are wanted. CPU streams report every span anyway
  // (they cost a clock read); CUDA streams time spans with event pairs (two records per
  // launch and per wait) only for the streams an observer wants.
  virtual bool observes(std::string_view /*stream*/) const { return true; }
};

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceKind kind() const = 0;
  virtual std::unique_ptr<Stream> create_stream(std::string name) = 0;
  // A stream whose launched work runs later, in order, on its own host thread, so `fn`
  // may block and need not enqueue device work. CPU: the same as create_stream. CUDA:
  // events order it with CUDA streams both ways (the CUDA side's wait blocks the
  // enqueuing host thread; see CudaHostStream); Device::copy and friends take CUDA
  // streams only.
  virtual std::unique_ptr<Stream> create_host_stream(std::string name) = 0;
  virtual std::unique_ptr<Event> create_event() = 0;
  virtual std::unique_ptr<DeviceBuffer> allocate(std::size_t size_bytes) = 0;

  // Elementwise helpers enqueued on a stream; views must be of this device.
  virtual void copy(TensorView dst, ConstTensorView src, Stream& stream) = 0;  // same bytes
  virtual void fill_zero(TensorView dst, Stream& stream) = 0;
  virtual void add_f32(TensorView dst, ConstTensorView src, Stream& stream) = 0;  // dst += src
  // Host memory ↔ a view of this device, in stream order: the host side must stay valid
  // (and, for upload, unchanged) until the stream has passed the transfer.
  virtual void upload(TensorView dst, const void* src_host, Stream& stream) = 0;
  virtual void download(void* dst_host, ConstTensorView src, Stream& stream) = 0;

  // Receives the spans of work of streams created afterwards (CPU streams and CUDA
  // host-worker streams from their threads; CUDA streams from timing events, see
  // cuda_stream.h).
  virtual void set_observer(StreamObserver* observer) = 0;
};

}  // namespace ra::device

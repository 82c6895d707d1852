#include "comm/staged/staged_communicator.h"

#include <string>
#include <utility>

#include "runtime/core/check.h"
#include "runtime/core/deliberate_leak.h"

namespace ra::comm::staged {
namespace {

// The stream an inner exchange is enqueued on from inside our own piece of work: it runs
// the inner communicator's work at once, on the calling thread (the outer stream's
// worker), so the three steps of a staged hop are one piece of work and its staging
// buffers are never touched by a later hop before this one is done.
class InlineStream final : public device::Stream {
 public:
  explicit InlineStream(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  void launch(std::string_view /*label*/, std::function<void()> work) override { work(); }
  void record(device::Event& /*event*/) override { unsupported(); }
  void wait(device::Event& /*event*/) override { unsupported(); }
  void synchronize() override {}
  void* native_handle() override { return nullptr; }

 private:
  [[noreturn]] static void unsupported() {
    throw InternalError("the staged communicator's inner communicator must enqueue exchanges with launch() only");
  }
  std::string_view name_;
};

// The same bytes, dtype and shape, in host memory.
ConstTensorView host_view(const void* data, const ConstTensorView& like) {
  return ConstTensorView(data, like.dtype(), like.shape());
}
TensorView host_view(void* data, const ConstTensorView& like) { return TensorView(data, like.dtype(), like.shape()); }

}  // namespace

void* StagedCommunicator::GrowingBuffer::reserve(Stager& stager, std::size_t size_bytes) {
  if (size_bytes == 0) return nullptr;
  if (!buffer_ || buffer_->size_bytes() < size_bytes) {
    buffer_.reset();  // free the old one first: pinned memory is a scarce resource
    buffer_ = stager.allocate_pinned(size_bytes);
  }
  return buffer_->raw();
}

void StagedCommunicator::GrowingBuffer::leak() { (void)leak_deliberately(buffer_); }

StagedCommunicator::StagedCommunicator(std::unique_ptr<Communicator> inner, std::shared_ptr<Stager> stager)
    : owned_(std::move(inner)), inner_(owned_.get()), stager_(std::move(stager)) {
  RA_CHECK(InternalError, inner_ != nullptr && stager_ != nullptr, "staged communicator without inner or stager");
}

StagedCommunicator::StagedCommunicator(Communicator& inner, std::shared_ptr<Stager> stager)
    : inner_(&inner), stager_(std::move(stager)) {
  RA_CHECK(InternalError, stager_ != nullptr, "staged communicator without a stager");
}

StagedCommunicator::~StagedCommunicator() = default;

std::unique_ptr<Communicator> StagedCommunicator::split(int color, int key) {
  return std::make_unique<StagedCommunicator>(inner_->split(color, key), stager_);
}

bool StagedCommunicator::staged(const ConstTensorView& view, const char* what) const {
  if (view.device() == stager_->staged_kind()) return true;
  RA_CHECK_EQ(InternalError, static_cast<int>(view.device()), static_cast<int>(DeviceKind::kCpu), what,
              ": the staged communicator takes views of its stager's device or host views");
  return false;
}

StagedCommunicator::ExchangeBuffers& StagedCommunicator::exchange_buffers(const device::Stream& stream) {
  const std::lock_guard lock(exchange_mu_);
  std::unique_ptr<ExchangeBuffers>& b = exchange_buffers_[&stream];
  if (!b) b = std::make_unique<ExchangeBuffers>();
  return *b;
}

void StagedCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  // The checks the inner communicator would make at enqueue time, made here: inside the
  // piece of work they would poison the stream instead of reaching this caller.
  const bool send = !x.send.empty() && x.send_to >= 0, recv = !x.recv.empty() && x.recv_from >= 0;
  if (send) staged(x.send, "exchange send");
  if (recv) staged(x.recv, "exchange recv");
  RA_CHECK_LT(InternalError, x.send_to, size(), "exchange peer");
  RA_CHECK_LT(InternalError, x.recv_from, size(), "exchange peer");
  // On a CUDA stream launch() would run the hop now, on the enqueuing thread, and the
  // stream's waits (the `free` events) would hold back only device work: the staging
  // copy could read a send buffer the compute stream is still writing.
  RA_CHECK(InternalError, stream.native_handle() == nullptr, "staged exchange on stream '", stream.name(),
           "': it needs a stream that runs work on a host thread (Device::create_host_stream)");
  ExchangeBuffers& buffers = exchange_buffers(stream);
  stream.launch(std::string(x.tag.phase) + " hop " + std::to_string(x.tag.hop),
                [this, x, &buffers] { exchange_now(x, buffers); });
}

void StagedCommunicator::exchange_now(const Exchange& x, ExchangeBuffers& buffers) {
  const bool send = !x.send.empty() && x.send_to >= 0, recv = !x.recv.empty() && x.recv_from >= 0;
  const bool stage_send = send && x.send.device() == stager_->staged_kind();
  const bool stage_recv = recv && x.recv.device() == stager_->staged_kind();
  Exchange host = x;
  if (!send) host.send = {};
  if (!recv) host.recv = {};
  if (stage_send) {
    void* data = buffers.send.reserve(*stager_, x.send.size_bytes());
    stager_->copy_to_host(data, x.send);
    host.send = host_view(data, x.send);
  }
  void* recv_data = stage_recv ? buffers.recv.reserve(*stager_, x.recv.size_bytes()) : nullptr;
  if (stage_recv) host.recv = host_view(recv_data, x.recv);  // exactly the view's bytes: the inner checks the size
  InlineStream here("staged exchange");
  try {
    inner_->exchange(host, here);
  } catch (...) {
    // Past a deadline MPI cancels what is pending, but a send it could not cancel may
    // still read its buffer: neither buffer is reused or freed after a failure.
    buffers.send.leak();
    buffers.recv.leak();
    throw;
  }
  if (stage_recv) stager_->copy_to_device(x.recv, recv_data);
}

void StagedCommunicator::all_reduce(TensorView inout, ReduceOp op) {
  if (!staged(inout, "all_reduce")) return inner_->all_reduce(inout, op);
  const std::lock_guard lock(collective_mu_);
  void* data = to_host_.reserve(*stager_, inout.size_bytes());
  stager_->copy_to_host(data, inout);
  inner_->all_reduce(host_view(data, inout), op);
  stager_->copy_to_device(inout, data);
}

void StagedCommunicator::enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) {
  if (!staged(inout, "all_reduce")) return inner_->enqueue_all_reduce(inout, op, stream);
  // As for exchange(): a CUDA stream would run the staging copy now, before the
  // producer's kernels have written the view.
  RA_CHECK(InternalError, stream.native_handle() == nullptr, "staged all_reduce on stream '", stream.name(),
           "': it needs a stream that runs work on a host thread (Device::create_host_stream)");
  stream.launch("all_reduce of " + std::to_string(inout.size_bytes()) + " bytes",
                [this, inout, op] { all_reduce(inout, op); });
}

void StagedCommunicator::broadcast(TensorView buf, int root) {
  if (!staged(buf, "broadcast")) return inner_->broadcast(buf, root);
  const std::lock_guard lock(collective_mu_);
  void* data = to_host_.reserve(*stager_, buf.size_bytes());
  const bool is_root = rank() == root;
  if (is_root) stager_->copy_to_host(data, buf);  // the others' bytes are overwritten anyway
  inner_->broadcast(host_view(data, buf), root);
  if (!is_root) stager_->copy_to_device(buf, data);
}

void StagedCommunicator::all_gather(ConstTensorView send, TensorView recv) {
  const bool stage_send = staged(send, "all_gather send"), stage_recv = staged(recv, "all_gather recv");
  if (!stage_send && !stage_recv) return inner_->all_gather(send, recv);
  const std::lock_guard lock(collective_mu_);
  ConstTensorView host_send = send;
  if (stage_send) {
    void* data = to_host_.reserve(*stager_, send.size_bytes());
    stager_->copy_to_host(data, send);
    host_send = host_view(static_cast<const void*>(data), send);
  }
  // The inner communicator checks the sizes and dtypes of the views as given (same
  // shapes here), before communicating: a mismatch is its InternalError, word for word.
  void* recv_data = stage_recv ? to_device_.reserve(*stager_, recv.size_bytes()) : nullptr;
  inner_->all_gather(host_send, stage_recv ? host_view(recv_data, recv) : recv);
  if (stage_recv) stager_->copy_to_device(recv, recv_data);
}

GatheredBytes StagedCommunicator::all_gather_v(ConstTensorView send) {
  if (!staged(send, "all_gather_v send")) return inner_->all_gather_v(send);
  const std::lock_guard lock(collective_mu_);
  void* data = to_host_.reserve(*stager_, send.size_bytes());
  stager_->copy_to_host(data, send);
  return inner_->all_gather_v(host_view(static_cast<const void*>(data), send));
}

}  // namespace ra::comm::staged

// The base of Communicator decorators (the ring's checksum, the fault injector, the tests'
// recorder): every method forwards to the inner communicator, so a decorator overrides
// only what it changes. The inner one is either owned (the composition root hands its
// ring communicator over) or borrowed (the caller keeps it alive).
#pragma once

#include <memory>
#include <utility>

#include "comm/communicator.h"

namespace ra::comm {

class ForwardingCommunicator : public Communicator {
 public:
  explicit ForwardingCommunicator(Communicator& inner) : inner_(inner) {}
  explicit ForwardingCommunicator(std::unique_ptr<Communicator> inner) : owned_(std::move(inner)), inner_(*owned_) {}
  ForwardingCommunicator(const ForwardingCommunicator&) = delete;
  ForwardingCommunicator& operator=(const ForwardingCommunicator&) = delete;

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  // The split is undecorated: decorators apply to the communicator they were put around.
  std::unique_ptr<Communicator> split(int color, int key) override { return inner_.split(color, key); }
  void exchange(const Exchange& x, device::Stream& stream) override { inner_.exchange(x, stream); }
  void all_reduce(TensorView inout, ReduceOp op) override { inner_.all_reduce(inout, op); }
  void enqueue_all_reduce(TensorView inout, ReduceOp op, device::Stream& stream) override {
    inner_.enqueue_all_reduce(inout, op, stream);
  }
  void broadcast(TensorView buf, int root) override { inner_.broadcast(buf, root); }
  void all_gather(ConstTensorView send, TensorView recv) override { inner_.all_gather(send, recv); }
  GatheredBytes all_gather_v(ConstTensorView send) override { return inner_.all_gather_v(send); }
  void barrier() override { inner_.barrier(); }
  const CommOptions& options() const override { return inner_.options(); }
  void set_options(const CommOptions& options) override { inner_.set_options(options); }

 protected:
  Communicator& inner() { return inner_; }

 private:
  std::unique_ptr<Communicator> owned_;  // empty when borrowed
  Communicator& inner_;
};

}  // namespace ra::comm

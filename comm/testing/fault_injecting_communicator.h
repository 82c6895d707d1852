// A Communicator decorator for fault tests: on one rank, at its n-th exchange, it kills
// or stops the process with a real signal (in stream order, when the exchange would
// start), or sends a shorter message than the view says. Everything else is forwarded.
#pragma once

#include <cstdint>
#include <memory>

#include "comm/communicator.h"

namespace ra::comm::testing {

enum class FaultKind : std::uint8_t {
  kNone,
  kKill,          // SIGKILL: the rank dies mid-ring
  kStop,          // SIGSTOP: the rank stalls forever (its peers' deadlines must fire)
  kShortMessage,  // the send carries `short_by_bytes` fewer bytes than its view
};

struct FaultPlan {
  FaultKind kind = FaultKind::kNone;
  int rank = 0;                     // the rank that misbehaves
  int at_exchange = 0;              // its exchange number (0-based) where it does
  std::int64_t short_by_bytes = 4;  // kShortMessage
};

class FaultInjectingCommunicator final : public Communicator {
 public:
  FaultInjectingCommunicator(Communicator& inner, FaultPlan plan) : inner_(inner), plan_(plan) {}

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::unique_ptr<Communicator> split(int color, int key) override { return inner_.split(color, key); }
  void exchange(const Exchange& x, device::Stream& stream) override;
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

 private:
  Communicator& inner_;
  FaultPlan plan_;
  int exchanges_ = 0;
};

}  // namespace ra::comm::testing

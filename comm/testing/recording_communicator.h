// A Communicator decorator that logs every exchange (tests compare the log with what the
// ring schedule says: sends, receives and bytes per hop).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace ra::comm::testing {

struct ExchangeRecord {
  std::string phase;
  int step = -1, hop = -1;
  int send_to = -1, recv_from = -1;
  std::size_t send_bytes = 0, recv_bytes = 0;
};

class RecordingCommunicator final : public Communicator {
 public:
  explicit RecordingCommunicator(Communicator& inner) : inner_(inner) {}

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::unique_ptr<Communicator> split(int color, int key) override { return inner_.split(color, key); }
  void exchange(const Exchange& x, device::Stream& stream) override {
    log_.push_back(ExchangeRecord{x.tag.phase, x.tag.step, x.tag.hop, x.send.empty() ? -1 : x.send_to,
                                  x.recv.empty() ? -1 : x.recv_from, x.send.empty() ? 0 : x.send.size_bytes(),
                                  x.recv.empty() ? 0 : x.recv.size_bytes()});
    inner_.exchange(x, stream);
  }
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

  const std::vector<ExchangeRecord>& log() const { return log_; }
  void clear() { log_.clear(); }

 private:
  Communicator& inner_;
  std::vector<ExchangeRecord> log_;
};

}  // namespace ra::comm::testing

// A Communicator decorator that logs every exchange (tests compare the log with what the
// ring schedule says: sends, receives and bytes per hop).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "comm/forwarding_communicator.h"

namespace ra::comm::testing {

struct ExchangeRecord {
  std::string phase;
  int step = -1, hop = -1;
  int send_to = -1, recv_from = -1;
  std::size_t send_bytes = 0, recv_bytes = 0;
};

class RecordingCommunicator final : public ForwardingCommunicator {
 public:
  explicit RecordingCommunicator(Communicator& inner) : ForwardingCommunicator(inner) {}

  void exchange(const Exchange& x, device::Stream& stream) override {
    log_.push_back(ExchangeRecord{x.tag.phase, x.tag.step, x.tag.hop, x.send.empty() ? -1 : x.send_to,
                                  x.recv.empty() ? -1 : x.recv_from, x.send.empty() ? 0 : x.send.size_bytes(),
                                  x.recv.empty() ? 0 : x.recv.size_bytes()});
    inner().exchange(x, stream);
  }

  const std::vector<ExchangeRecord>& log() const { return log_; }
  void clear() { log_.clear(); }

 private:
  std::vector<ExchangeRecord> log_;
};

}  // namespace ra::comm::testing

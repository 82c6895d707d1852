// A Communicator decorator that plants one fault: on one rank, at its n-th exchange, it
// kills or stops the process with a real signal (in stream order, when the exchange would
// start), sends a shorter message than the view says, corrupts the block it received, or
// throws an InternalError on the comm stream. Everything else is forwarded.
//
// Product code for one reason: the fault matrix (scripts/fault_matrix.sh, docs/errors.md)
// injects faults into the real `ringattn bench` and `train` through the composition root,
// which wraps the ring's communicator in this when RINGATTN_FAULT is set
// (parse_fault_spec). Unset, nothing is wrapped and nothing is read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "comm/forwarding_communicator.h"

namespace ra::comm {

enum class FaultKind : std::uint8_t {
  kNone,
  kKill,          // SIGKILL: the rank dies mid-ring
  kStop,          // SIGSTOP: the rank stalls forever (its peers' deadlines must fire)
  kShortMessage,  // the send carries `short_by_bytes` fewer bytes than its view
  kCorrupt,       // after the receive, bytes of the received block are flipped (the ring's checksum sees it)
  kException,     // an ra::InternalError is thrown on the comm stream where the exchange would run
};

struct FaultPlan {
  FaultKind kind = FaultKind::kNone;
  int rank = 0;                     // the rank that misbehaves (of the decorated communicator)
  int at_exchange = 0;              // its exchange number (0-based) where it does
  std::int64_t short_by_bytes = 4;  // kShortMessage
  bool announce = false;            // print one line on stderr when the fault strikes (the matrix times it)
};

// "kill|stop|short|corrupt|exception:<rank>:<exchange>" (RINGATTN_FAULT), e.g. "stop:1:5".
// Anything else is a UsageError naming the variable, the value and the form.
FaultPlan parse_fault_spec(std::string_view spec);
const char* fault_kind_name(FaultKind kind);

class FaultInjectingCommunicator final : public ForwardingCommunicator {
 public:
  // Decorates `inner`, which the caller keeps alive.
  FaultInjectingCommunicator(Communicator& inner, FaultPlan plan) : ForwardingCommunicator(inner), plan_(plan) {}
  // Decorates and owns `inner` (the composition root's ring communicator).
  FaultInjectingCommunicator(std::unique_ptr<Communicator> inner, FaultPlan plan)
      : ForwardingCommunicator(std::move(inner)), plan_(plan) {}
  // An announced plan that never struck says so (the matrix counts it as not injected).
  ~FaultInjectingCommunicator() override;

  void exchange(const Exchange& x, device::Stream& stream) override;

 private:
  FaultPlan plan_;
  int exchanges_ = 0;
};

}  // namespace ra::comm

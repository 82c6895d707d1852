#include "comm/testing/fault_injecting_communicator.h"

#include <csignal>

namespace ra::comm::testing {

void FaultInjectingCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  const bool strike = plan_.kind != FaultKind::kNone && rank() == plan_.rank && exchanges_ == plan_.at_exchange;
  ++exchanges_;
  if (!strike) {
    inner_.exchange(x, stream);
    return;
  }
  switch (plan_.kind) {
    case FaultKind::kKill: stream.launch("fault: SIGKILL", [] { std::raise(SIGKILL); }); break;
    case FaultKind::kStop: stream.launch("fault: SIGSTOP", [] { std::raise(SIGSTOP); }); break;
    case FaultKind::kShortMessage: {
      Exchange shorter = x;
      const auto elem_bytes = static_cast<std::int64_t>(dtype_size_bytes(x.send.dtype()));
      const std::int64_t keep_elems =
          std::max<std::int64_t>(0, x.send.numel_elems() - (plan_.short_by_bytes + elem_bytes - 1) / elem_bytes);
      shorter.send = ConstTensorView(x.send.raw(), x.send.dtype(), Shape{keep_elems}, x.send.device());
      inner_.exchange(shorter, stream);
      return;
    }
    case FaultKind::kNone: break;
  }
  inner_.exchange(x, stream);
}

}  // namespace ra::comm::testing

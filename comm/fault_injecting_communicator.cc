#include "comm/fault_injecting_communicator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include "runtime/core/error.h"

namespace ra::comm {
namespace {

// One line, written with write(2) so that it reaches stderr before the signal does.
void announce(const FaultPlan& plan, int exchange, const CommTag& tag) {
  if (!plan.announce) return;
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  char line[256];
  const int n = std::snprintf(line, sizeof line,
                              "ringattn: fault injection (RINGATTN_FAULT): rank %d: %s at exchange %d (%s step %d "
                              "hop %d) at unix time %.3f\n",
                              plan.rank, fault_kind_name(plan.kind), exchange, tag.phase, tag.step, tag.hop, now_s);
  if (n > 0) (void)!::write(2, line, static_cast<std::size_t>(std::min(n, static_cast<int>(sizeof line) - 1)));
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone: return "none";
    case FaultKind::kKill: return "kill";
    case FaultKind::kStop: return "stop";
    case FaultKind::kShortMessage: return "short";
    case FaultKind::kCorrupt: return "corrupt";
    case FaultKind::kException: return "exception";
  }
  return "?";
}

FaultPlan parse_fault_spec(std::string_view spec) {
  const auto bad = [&] {
    return UsageError("RINGATTN_FAULT = '" + std::string(spec) +
                      "': expected kill|stop|short|corrupt|exception:<rank>:<exchange> with rank and exchange "
                      "non-negative integers (e.g. stop:1:5)");
  };
  const auto c1 = spec.find(':');
  if (c1 == std::string_view::npos) throw bad();
  const auto c2 = spec.find(':', c1 + 1);
  if (c2 == std::string_view::npos) throw bad();
  const std::string_view kind = spec.substr(0, c1);
  FaultPlan plan;
  plan.announce = true;
  bool known = false;
  for (FaultKind k :
       {FaultKind::kKill, FaultKind::kStop, FaultKind::kShortMessage, FaultKind::kCorrupt, FaultKind::kException}) {
    if (kind == fault_kind_name(k)) {
      plan.kind = k;
      known = true;
    }
  }
  if (!known) throw bad();
  const auto number = [&](std::string_view s) {
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      throw bad();
    }
    return std::stoi(std::string(s));
  };
  plan.rank = number(spec.substr(c1 + 1, c2 - c1 - 1));
  plan.at_exchange = number(spec.substr(c2 + 1));
  return plan;
}

FaultInjectingCommunicator::~FaultInjectingCommunicator() {
  if (!plan_.announce || plan_.kind == FaultKind::kNone || rank() != plan_.rank || exchanges_ > plan_.at_exchange) {
    return;
  }
  char line[200];
  const int n = std::snprintf(line, sizeof line,
                              "ringattn: fault injection (RINGATTN_FAULT): rank %d: no fault: it made %d exchanges, "
                              "fewer than %d\n",
                              plan_.rank, exchanges_, plan_.at_exchange + 1);
  if (n > 0) (void)!::write(2, line, static_cast<std::size_t>(std::min(n, static_cast<int>(sizeof line) - 1)));
}

void FaultInjectingCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  const int number = exchanges_++;
  const bool strike = plan_.kind != FaultKind::kNone && rank() == plan_.rank && number == plan_.at_exchange;
  if (!strike) {
    inner().exchange(x, stream);
    return;
  }
  const FaultPlan plan = plan_;
  const CommTag tag = x.tag;
  switch (plan_.kind) {
    case FaultKind::kKill:
      stream.launch("fault: SIGKILL", [plan, number, tag] {
        announce(plan, number, tag);
        std::raise(SIGKILL);
      });
      break;
    case FaultKind::kStop:
      stream.launch("fault: SIGSTOP", [plan, number, tag] {
        announce(plan, number, tag);
        std::raise(SIGSTOP);
      });
      break;
    case FaultKind::kShortMessage: {
      Exchange shorter = x;
      const auto elem_bytes = static_cast<std::int64_t>(dtype_size_bytes(x.send.dtype()));
      const std::int64_t keep_elems =
          std::max<std::int64_t>(0, x.send.numel_elems() - (plan_.short_by_bytes + elem_bytes - 1) / elem_bytes);
      shorter.send = ConstTensorView(x.send.raw(), x.send.dtype(), Shape{keep_elems}, x.send.device());
      stream.launch("fault: announce", [plan, number, tag] { announce(plan, number, tag); });
      inner().exchange(shorter, stream);
      return;
    }
    case FaultKind::kCorrupt: {
      inner().exchange(x, stream);
      // After the receive, in stream order: flip bit 6 of 8 bytes spread over the block —
      // what a bad link or bad memory would do. The composition root puts the ring's
      // checksum (comm/checksummed_communicator.h) outside this decorator, so it sees the flip.
      const TensorView recv = x.recv;
      stream.launch("fault: corrupt the received block", [plan, number, tag, recv] {
        if (recv.empty() || recv.device() != DeviceKind::kCpu)
          return;  // nothing received here: no fault, none announced
        announce(plan, number, tag);
        auto* bytes = static_cast<unsigned char*>(recv.raw());
        const std::size_t n = recv.size_bytes();
        for (std::size_t i = 0; i < 8; ++i) bytes[(n - 1) * i / 7] ^= 0x40;
      });
      return;
    }
    case FaultKind::kException:
      stream.launch("fault: exception", [plan, number, tag] {
        announce(plan, number, tag);
        throw InternalError("fault injection (RINGATTN_FAULT): exception at exchange " + std::to_string(number) + " (" +
                            tag.phase + " step " + std::to_string(tag.step) + " hop " + std::to_string(tag.hop) + ")");
      });
      break;
    case FaultKind::kNone: break;
  }
  inner().exchange(x, stream);
}

}  // namespace ra::comm

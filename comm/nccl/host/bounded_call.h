// Calls that must not be allowed to hang the process on their own. ncclCommAbort is the
// case: it is what ends a stalled operation, yet on a broken network it can block too.
// The error it precedes is reported either way, so after a few seconds we stop waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ra::comm::nccl {

enum class BoundedOutcome : std::uint8_t {
  kReturned,   // fn returned (or threw: its exception is dropped) within the limit
  kAbandoned,  // fn is still running, on a detached thread left to the exiting process
};

// Runs fn on a helper thread and waits at most `limit` for it. Everything fn touches
// must stay valid for as long as it may run: capture by value.
BoundedOutcome run_bounded(std::function<void()> fn, std::chrono::milliseconds limit);

}  // namespace ra::comm::nccl

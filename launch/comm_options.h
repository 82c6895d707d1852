// The communicator options of a job from its config's comm section.
#pragma once

#include <chrono>
#include <cstdint>

#include "comm/communicator.h"
#include "runtime/config/ringattn_config.pb.h"

namespace ra::launch {

inline comm::CommOptions comm_options(const config::Comm& c) {
  comm::CommOptions o;
  o.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(c.timeout() * 1000));
  o.poll_interval = std::chrono::microseconds(static_cast<std::int64_t>(c.poll_interval() * 1e6));
  return o;
}

}  // namespace ra::launch

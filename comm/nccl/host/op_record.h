// What the communicator remembers about one NCCL operation it enqueued: enough to name
// it in an error message (docs/design.md §4: step, hop, peer, bytes) and to check the size
// header of a receive.
#pragma once

#include <cstdint>

#include "comm/communicator.h"

namespace ra::comm::nccl {

enum class OpKind : std::uint8_t {
  kExchange,
  kAllReduce,
  kBroadcast,
  kAllGather,
  kBarrier,
  kSetup,
  kSplit,
  kShutdown,
};

// The size header slot before the D2H copy of a received header lands: never a real size.
inline constexpr std::int64_t kNoSizeHeader = -1;

struct OpRecord {
  OpKind kind = OpKind::kExchange;
  CommTag tag;       // kExchange: where the hop belongs in the ring
  int send_to = -1;  // kExchange: -1 when the hop sends nothing
  std::int64_t send_bytes = 0;
  int recv_from = -1;  // kExchange: -1 when the hop receives nothing
  std::int64_t recv_bytes = 0;
  std::int64_t payload_bytes = 0;  // kAllReduce, kBroadcast; kAllGather: per rank
  int root = -1;                   // kBroadcast
};

}  // namespace ra::comm::nccl

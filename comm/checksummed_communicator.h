// A Communicator decorator that checks every ring block it delivers (docs/errors.md, "The
// fault matrix"): a bit flipped on the way — a bad link, bad memory, a buggy transport —
// becomes a PeerError naming the peer and the hop, never a wrong result with exit 0.
//
// For each exchange of host views, in stream order:
//   1. crc32 (zlib) of the send view, computed by the sender;
//   2. the block itself (the inner communicator's exchange);
//   3. a 4-byte exchange carrying the sender's crc32 to the receiver (same peers, same tag:
//      MPI's non-overtaking order matches it to its block);
//   4. the receiver's crc32 of what arrived, compared with the sender's.
// Cost: two crc32 passes over each block (about 3.6 GB/s per core with Debian's zlib on the
// development machine: 2.3 ms per 8 MiB block, under 1% of a hop's attention at the sizes
// the ring is for) and one small message per hop (docs/performance.md).
//
// Device-resident views (the NCCL ring) pass through unchecked: checking them would need a
// kernel and a device-to-host copy per block; NVLink and InfiniBand carry their own CRCs.
// Collectives (all-reduce, broadcast, all-gather) pass through unchanged.
#pragma once

#include <memory>

#include "comm/forwarding_communicator.h"

namespace ra::comm {

class ChecksummedCommunicator final : public ForwardingCommunicator {
 public:
  explicit ChecksummedCommunicator(std::unique_ptr<Communicator> inner) : ForwardingCommunicator(std::move(inner)) {}

  void exchange(const Exchange& x, device::Stream& stream) override;
};

}  // namespace ra::comm

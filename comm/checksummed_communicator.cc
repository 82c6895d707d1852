#include "comm/checksummed_communicator.h"

#include <zlib.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <string>

#include "runtime/core/error.h"

namespace ra::comm {
namespace {

std::uint32_t crc32_of(const void* data, std::size_t size_bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (size_bytes > 0) {  // zlib's length is a uInt: feed blocks over 4 GiB in pieces
    const uInt n = size_bytes > UINT_MAX ? UINT_MAX : static_cast<uInt>(size_bytes);
    crc = crc32(crc, p, n);
    p += n;
    size_bytes -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// The two checksums of one exchange. Owned by the stream tasks that use it; the inner
// exchange's views point into it, and the verify task (last in stream order) keeps it alive
// until that exchange has completed.
struct Sums {
  std::int32_t sent = 0;      // crc32 of our send view, sent to the send peer
  std::int32_t received = 0;  // crc32 the receive peer computed over what it sent us
};

}  // namespace

void ChecksummedCommunicator::exchange(const Exchange& x, device::Stream& stream) {
  const bool sends = !x.send.empty() && x.send_to >= 0;
  const bool receives = !x.recv.empty() && x.recv_from >= 0;
  const bool on_host =
      (!sends || x.send.device() == DeviceKind::kCpu) && (!receives || x.recv.device() == DeviceKind::kCpu);
  if (!on_host || (!sends && !receives)) {
    inner().exchange(x, stream);
    return;
  }
  auto sums = std::make_shared<Sums>();
  if (sends) {
    const ConstTensorView send = x.send;
    stream.launch("checksum the sent block",
                  [sums, send] { sums->sent = static_cast<std::int32_t>(crc32_of(send.raw(), send.size_bytes())); });
  }
  inner().exchange(x, stream);
  Exchange check;
  check.tag = x.tag;
  if (sends) {
    check.send = ConstTensorView(&sums->sent, DType::kI32, Shape{1}, DeviceKind::kCpu);
    check.send_to = x.send_to;
  }
  if (receives) {
    check.recv = TensorView(&sums->received, DType::kI32, Shape{1}, DeviceKind::kCpu);
    check.recv_from = x.recv_from;
  }
  inner().exchange(check, stream);
  if (!receives) {
    stream.launch("checksum exchanged", [sums] {});  // keeps `sums` alive until the exchange is done
    return;
  }
  const TensorView recv = x.recv;
  const CommTag tag = x.tag;
  const int peer = x.recv_from;
  stream.launch("verify the received block", [sums, recv, tag, peer] {
    const auto expected = static_cast<std::uint32_t>(sums->received);
    const std::uint32_t got = crc32_of(recv.raw(), recv.size_bytes());
    if (got == expected) return;
    throw PeerError(std::string(tag.phase) + " step " + std::to_string(tag.step) + " hop " + std::to_string(tag.hop) +
                    ": the block received from peer rank " + std::to_string(peer) + " (" +
                    std::to_string(recv.size_bytes()) + " bytes) is corrupt: crc32 " + hex(got) + ", the sender's " +
                    hex(expected) + " (a bad link, bad memory or a faulty transport changed it on the way)");
  });
}

}  // namespace ra::comm

#include "comm/collectives.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "runtime/core/check.h"

namespace ra::comm {

std::int64_t detail::broadcast_count(Communicator& comm, std::int64_t count_elems, int root) {
  comm.broadcast(TensorView(&count_elems, DType::kU8, Shape{static_cast<std::int64_t>(sizeof count_elems)}), root);
  return count_elems;
}

void broadcast_bytes(Communicator& comm, std::string& bytes, int root) {
  const std::int64_t size_bytes = detail::broadcast_count(comm, static_cast<std::int64_t>(bytes.size()), root);
  bytes.resize(static_cast<std::size_t>(size_bytes));
  if (size_bytes > 0) comm.broadcast(TensorView(bytes.data(), DType::kU8, Shape{size_bytes}), root);
}

std::vector<std::string> all_gather_strings(Communicator& comm, std::string_view mine) {
  const GatheredBytes all =
      comm.all_gather_v(ConstTensorView(mine.data(), DType::kU8, Shape{static_cast<std::int64_t>(mine.size())}));
  std::vector<std::string> out;
  out.reserve(all.size());
  for (const std::vector<std::byte>& bytes : all) {
    out.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return out;
}

NodeLocal node_local_of(const std::vector<std::string>& host_names, int rank) {
  RA_CHECK(InternalError, rank >= 0 && static_cast<std::size_t>(rank) < host_names.size(), "node_local_of: rank ", rank,
           " of ", host_names.size(), " host names");
  const std::string& mine = host_names[static_cast<std::size_t>(rank)];
  NodeLocal out{0, 0, mine};
  for (std::size_t r = 0; r < host_names.size(); ++r) {
    if (host_names[r] != mine) continue;
    if (r < static_cast<std::size_t>(rank)) ++out.local_rank;
    ++out.local_size;
  }
  return out;
}

NodeLocal node_local_rank(Communicator& comm) {
  // POSIX host names are at most HOST_NAME_MAX (64 on Linux) bytes; the buffer leaves room
  // for a terminating NUL, which gethostname may omit on truncation.
  std::array<char, 256> name{};
  RA_CHECK(InternalError, gethostname(name.data(), name.size() - 1) == 0, "gethostname failed: ", std::strerror(errno));
  return node_local_of(all_gather_strings(comm, std::string_view(name.data())), comm.rank());
}

}  // namespace ra::comm

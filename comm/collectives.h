// Collectives that are compositions of the Communicator's primitives, written once here
// so that no caller sends "a size, then the bytes" by hand. Every step is one primitive,
// so every wait keeps the communicator's deadline and its PeerError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "comm/communicator.h"

namespace ra::comm {

namespace detail {
// Every rank gets the root's `count_elems` (an 8-byte broadcast).
std::int64_t broadcast_count(Communicator& comm, std::int64_t count_elems, int root);
}  // namespace detail

// Host data whose size only `root` knows: every other rank's buffer is replaced by the
// root's, resized to it (empty included). Collective.
void broadcast_bytes(Communicator& comm, std::string& bytes, int root);

template <typename T>
void broadcast_vector(Communicator& comm, std::vector<T>& values, int root) {
  const std::int64_t count_elems = detail::broadcast_count(comm, static_cast<std::int64_t>(values.size()), root);
  values.resize(static_cast<std::size_t>(count_elems));
  // Every rank now has the root's count, so either all ranks broadcast or none does.
  if (count_elems > 0) comm.broadcast(TensorView(values.data(), dtype_of_v<T>, Shape{count_elems}), root);
}

// Every rank's string, indexed by rank (all_gather_v of its bytes). Collective.
std::vector<std::string> all_gather_strings(Communicator& comm, std::string_view mine);

}  // namespace ra::comm

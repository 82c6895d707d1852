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

// A rank's place among the ranks on its own node: local_rank counts the ranks of the
// same host name before it (in communicator rank order), local_size all of them. Picks
// the GPU of one-rank-per-GPU placement (CudaDeviceOptions::ordinal = local_rank).
struct NodeLocal {
  int local_rank = 0;
  int local_size = 1;
  std::string host;  // this rank's host name (for messages)
};

// From every rank's host name, indexed by rank (pure; host_names[rank] is this rank's).
NodeLocal node_local_of(const std::vector<std::string>& host_names, int rank);

// All-gathers gethostname() over `comm` (any transport). Collective. ra::InternalError
// when the host name cannot be read.
NodeLocal node_local_rank(Communicator& comm);

}  // namespace ra::comm

#include "comm/collectives.h"

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

}  // namespace ra::comm

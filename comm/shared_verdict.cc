#include "comm/shared_verdict.h"

#include <string>

#include "runtime/core/error.h"

namespace ra::comm {

void broadcast_string(Communicator& comm, std::string& text) {
  std::int64_t size_bytes = static_cast<std::int64_t>(text.size());
  comm.broadcast(TensorView(&size_bytes, DType::kU8, Shape{8}), 0);
  text.resize(static_cast<std::size_t>(size_bytes));
  if (size_bytes > 0) comm.broadcast(TensorView(text.data(), DType::kU8, Shape{size_bytes}), 0);
}

void run_on_root_and_share_verdict(Communicator& comm, const std::function<void()>& root_work) {
  std::int64_t code = 0;
  std::string message;
  if (comm.rank() == 0) {
    try {
      root_work();
    } catch (const Error& e) {
      code = exit_status(e);
      message = e.what();
    }
  }
  comm.broadcast(TensorView(&code, DType::kU8, Shape{8}), 0);
  if (code == 0) return;
  broadcast_string(comm, message);
  throw JobWideError(static_cast<ExitCode>(code), message);
}

}  // namespace ra::comm

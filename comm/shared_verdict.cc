#include "comm/shared_verdict.h"

#include <string>

#include "comm/collectives.h"
#include "runtime/core/error.h"

namespace ra::comm {

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
  broadcast_bytes(comm, message, 0);
  throw JobWideError(static_cast<ExitCode>(code), message);
}

}  // namespace ra::comm

#include "runtime/config/shared_config.h"

#include <array>
#include <string>

#include "runtime/core/error.h"

namespace ra::config {
namespace {

void broadcast_text(comm::Communicator& comm, std::string& text) {
  std::int64_t size_bytes = static_cast<std::int64_t>(text.size());
  comm.broadcast(TensorView(&size_bytes, DType::kU8, Shape{8}), 0);
  text.resize(static_cast<std::size_t>(size_bytes));
  if (size_bytes > 0) comm.broadcast(TensorView(text.data(), DType::kU8, Shape{size_bytes}), 0);
}

}  // namespace

LoadedConfig load_shared_config(comm::Communicator& comm, const ConfigRequest& request, CudaSupport cuda) {
  LoadedConfig loaded;
  std::int64_t code = 0;
  std::string payload;
  if (comm.rank() == 0) {
    try {
      loaded = load_config(request);
      resolve(loaded, {comm.size(), cuda});
      payload = loaded.config.SerializeAsString();
    } catch (const UsageError& e) {
      code = static_cast<std::int64_t>(ExitCode::kUsage);
      payload = e.what();
    }
  }
  comm.broadcast(TensorView(&code, DType::kU8, Shape{8}), 0);
  broadcast_text(comm, payload);
  if (code != 0) throw JobWideUsageError(payload);
  if (comm.rank() != 0 && !loaded.config.ParseFromString(payload)) {
    throw InternalError("the config broadcast by rank 0 did not parse");
  }
  return loaded;
}

}  // namespace ra::config

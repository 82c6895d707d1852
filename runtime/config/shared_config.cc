#include "runtime/config/shared_config.h"

#include <string>

#include "comm/collectives.h"
#include "comm/shared_verdict.h"
#include "runtime/core/startup_watchdog.h"
#include "runtime/core/error.h"

namespace ra::config {

LoadedConfig load_shared_config(comm::Communicator& comm, const ConfigRequest& request, CudaSupport cuda) {
  startup::stage("sharing the config (rank 0 reads it and broadcasts it)");
  LoadedConfig loaded;
  std::string payload;
  comm::run_on_root_and_share_verdict(comm, [&] {
    loaded = load_config(request);
    resolve(loaded, {comm.size(), cuda});
    payload = loaded.config.SerializeAsString();
  });
  comm::broadcast_bytes(comm, payload, 0);
  if (comm.rank() != 0 && !loaded.config.ParseFromString(payload)) {
    throw InternalError("the config broadcast by rank 0 did not parse");
  }
  return loaded;
}

}  // namespace ra::config

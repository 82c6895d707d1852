#include "comm/mpi/mpi_wait.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "runtime/core/error.h"

namespace ra::comm::mpi {

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(len));
}

void wait_all(std::vector<MPI_Request>& requests, std::vector<MPI_Status>& statuses, const CommOptions& options,
              Pending pending_policy, const std::function<std::string(const std::vector<bool>& pending)>& describe) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  statuses.assign(requests.size(), MPI_Status{});
  std::vector<bool> done(requests.size(), false);
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (done[i]) continue;
      int flag = 0;
      const int rc = MPI_Test(&requests[i], &flag, &statuses[i]);
      if (rc == MPI_ERR_TRUNCATE) {  // completed, but longer than the buffer: the caller names the sizes
        statuses[i].MPI_ERROR = rc;
        done[i] = true;
        continue;
      }
      if (rc != MPI_SUCCESS) {
        throw PeerError(describe(std::vector<bool>(requests.size(), true)) + ": " + mpi_error_string(rc));
      }
      if (flag) {
        done[i] = true;
      } else {
        all = false;
      }
    }
    if (all) return;
    const auto elapsed = Clock::now() - start;
    if (elapsed >= options.timeout) {
      std::vector<bool> pending(requests.size());
      for (std::size_t i = 0; i < requests.size(); ++i) {
        pending[i] = !done[i];
        if (!done[i] && pending_policy == Pending::kCancel) MPI_Cancel(&requests[i]);
      }
      if (pending_policy == Pending::kCancel) {
        // A cancelled receive that was already matched still completes: give it a moment,
        // so that MPI is done with the caller's buffers before they are released.
        const auto grace_end = Clock::now() + std::chrono::seconds(1);
        for (std::size_t i = 0; i < requests.size(); ++i) {
          int flag = done[i] ? 1 : 0;
          while (!flag && Clock::now() < grace_end) {
            MPI_Test(&requests[i], &flag, MPI_STATUS_IGNORE);
            if (!flag) std::this_thread::sleep_for(options.poll_interval);
          }
        }
      }
      char tail[128];
      std::snprintf(tail, sizeof tail, " after %.2f s (deadline comm_timeout = %.2f s)",
                    std::chrono::duration<double>(elapsed).count(),
                    std::chrono::duration<double>(options.timeout).count());
      throw PeerError(describe(pending) + tail);
    }
    std::this_thread::sleep_for(options.poll_interval);
  }
}

}  // namespace ra::comm::mpi

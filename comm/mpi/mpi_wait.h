// Waiting on MPI requests with a deadline, without stealing the compute core: an
// MPI_Testall loop that sleeps `poll_interval` between tests (DESIGN.md §7: MPI_Wait
// busy-polls and doubled the compute time of the other rank on a 2-core host).
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace ra::comm::mpi {

// Waits for all requests. Past the deadline, cancels what is pending and throws
// ra::PeerError "<describe(pending)> after E s (deadline comm_timeout = D s)", where
// pending[i] tells whether request i had not completed. `statuses` gets one per request.
void wait_all(std::vector<MPI_Request>& requests, std::vector<MPI_Status>& statuses, const CommOptions& options,
              const std::function<std::string(const std::vector<bool>& pending)>& describe);

// "MPI_ERR_TRUNCATE: message truncated" for an MPI error code.
std::string mpi_error_string(int code);

}  // namespace ra::comm::mpi

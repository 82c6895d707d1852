// Waiting on MPI requests with a deadline, without stealing the compute core: an
// MPI_Test loop over the requests that sleeps `poll_interval` between rounds (docs/design.md §4: MPI_Wait
// busy-polls and doubled the compute time of the other rank on a 2-core host).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace ra::comm::mpi {

// What happens to requests still pending at the deadline. Point-to-point requests are
// cancelled and given a second to complete (a matched receive completes anyway);
// nonblocking collectives cannot be cancelled or freed (MPI forbids it) and are
// abandoned — their buffers must outlive them (MpiCommunicator leaks its staging copy)
// and the job is about to end.
enum class Pending : std::uint8_t { kCancel, kAbandon };

// Waits for all requests. Past the deadline, handles what is pending and throws
// ra::PeerError "<describe(pending)> after E s (deadline comm_timeout = D s)", where
// pending[i] tells whether request i had not completed. `statuses` gets one per request.
void wait_all(std::vector<MPI_Request>& requests, std::vector<MPI_Status>& statuses, const CommOptions& options,
              Pending pending_policy, const std::function<std::string(const std::vector<bool>& pending)>& describe);

// "MPI_ERR_TRUNCATE: message truncated" for an MPI error code.
std::string mpi_error_string(int code);

}  // namespace ra::comm::mpi

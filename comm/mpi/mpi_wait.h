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
//
// The deadline counts the time this rank was running: a gap between two polls far longer
// than the poll interval means the process was not scheduled (SIGSTOP, a suspended job or
// host), and such gaps are not charged to the peers. A rank that was stopped, or was
// continued (SIGCONT) shortly before or during the wait, says so in its message instead
// of only blaming the peer: its peers' deadlines may have expired while it was stopped.
void wait_all(std::vector<MPI_Request>& requests, std::vector<MPI_Status>& statuses, const CommOptions& options,
              Pending pending_policy, const std::function<std::string(const std::vector<bool>& pending)>& describe);

// Starts a heartbeat thread (a store every 100 ms) and a SIGCONT handler; both record
// when this process was continued after being stopped for over a second (a heartbeat
// over a second old; for the message above; a SIGCONT to a running process, as mpirun
// sends every rank at teardown, is not counted). Called by run_on_world; idempotent.
void watch_for_resume();

// What wait_all appends when this rank itself was stopped: `stopped_s` of the wait not
// running, or continued `resumed_ago_s` ago (negative: never) after a stop of
// `resumed_stop_s`, at most `window_s` ago (the wait plus a deadline, at least 10 s).
// Empty when neither. For tests.
std::string stopped_note(double stopped_s, double resumed_ago_s, double resumed_stop_s, double window_s);

// "MPI_ERR_TRUNCATE: message truncated" for an MPI error code.
std::string mpi_error_string(int code);

}  // namespace ra::comm::mpi

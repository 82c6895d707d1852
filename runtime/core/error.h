// Error types of ringattn. Every failure a user can cause or meet is one of these,
// and each carries the process exit code documented in docs/errors.md.
#pragma once

#include <stdexcept>
#include <string>

namespace ra {

// Exit codes of docs/design.md §7; the numbers are a public contract (scripts test them).
enum class ExitCode : int {
  kOk = 0,
  kUsage = 2,        // bad config, bad command-line flag, bad API argument
  kInputData = 3,    // a data file that cannot be read or is malformed
  kPeerFailure = 4,  // a peer died, stalled past its deadline or sent the wrong bytes
  kCheckpoint = 5,   // a checkpoint that cannot be written or verified
  kResource = 6,     // memory ran out at run time although the run was estimated to fit
  kInternal = 70,    // a broken invariant inside ringattn (a bug: please report it)
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode exit_code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

class UsageError : public Error {
 public:
  explicit UsageError(const std::string& m) : Error(ExitCode::kUsage, m) {}
};

// An error every rank of a job raised identically at the same point (a config or an
// input file that rank 0 checked, then broadcast the verdict): the ranks report it once
// and exit together with its code, without aborting the job.
class JobWideError : public Error {
 public:
  JobWideError(ExitCode code, const std::string& m) : Error(code, m) {}
};

// An allocation that failed at run time (host or device memory), after the memory guard
// (runtime/plan) had estimated that the run fits: the estimate missed something, or
// another process took the memory meanwhile.
class ResourceError : public Error {
 public:
  explicit ResourceError(const std::string& m) : Error(ExitCode::kResource, m) {}
};

class InputDataError : public Error {
 public:
  explicit InputDataError(const std::string& m) : Error(ExitCode::kInputData, m) {}
};

class PeerError : public Error {
 public:
  explicit PeerError(const std::string& m) : Error(ExitCode::kPeerFailure, m) {}
};

class CheckpointError : public Error {
 public:
  explicit CheckpointError(const std::string& m) : Error(ExitCode::kCheckpoint, m) {}
};

class InternalError : public Error {
 public:
  explicit InternalError(const std::string& m) : Error(ExitCode::kInternal, m) {}
};

// Process exit status for an error (what the `ringattn` main returns).
int exit_status(const Error& e) noexcept;

}  // namespace ra

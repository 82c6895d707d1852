// The one way ringattn reads a file a user names (a config, a .npy tensor, a token or
// text file): every reader goes through read_input_file, so every reader refuses the same
// things the same way.
//   - Only a regular file is read. A directory, FIFO, socket or device (also when reached
//     through a symbolic link, which is otherwise followed: inputs may be symlinked) is
//     refused with a message naming the path and what it is. The path is stat()ed before
//     it is opened and opened with O_NONBLOCK, so naming a FIFO never blocks and opening a
//     device never runs its side effects; the open file is fstat()ed again (a file swapped
//     between the two is refused too).
//   - A file larger than the reader's limit is refused before anything is allocated.
//   - Every byte is read (read(2) despite EINTR and short reads) and the count is checked
//     against the size fstat() gave: a file that shrinks or grows while being read is
//     refused, never silently truncated.
// Errors name the path, the file's role ("config file", "token file") and the system's
// reason, and are thrown as the caller's error type (exit code): a config file's problems
// are ra::UsageError (2), data files' ra::InputDataError (3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "runtime/core/error.h"

namespace ra {

struct InputFileOptions {
  const char* role = "input file";             // "config file", "token file": the file's role in messages
  ExitCode error_code = ExitCode::kInputData;  // kUsage or kInputData: which ra::Error is thrown
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();  // larger files are refused unread
};

std::string read_input_file(const std::string& path, const InputFileOptions& options);

// The first `prefix_bytes` of a file (all of it when shorter) and its size, opened and
// refused exactly as read_input_file does (max_bytes applies to the whole file): a reader
// checks a header before it reads a large payload.
struct InputFilePrefix {
  std::string bytes;
  std::uint64_t file_size_bytes = 0;
};
InputFilePrefix read_input_file_prefix(const std::string& path, const InputFileOptions& options,
                                       std::size_t prefix_bytes);

// What a stat mode is, for messages: "a directory", "a FIFO (named pipe)", ...
const char* file_kind_text(unsigned mode);

}  // namespace ra

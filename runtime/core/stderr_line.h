// One line to stderr in one write(2). Under mpirun a rank's stderr is a pipe that Open MPI
// forwards in the chunks it reads, while MPI_Abort's banner travels by another channel: a
// line written in pieces (iostreams write each `<<` separately when unbuffered) can arrive
// with the banner in its middle, which broke the fault matrix's "one line naming the rank"
// check. A single write of a line under PIPE_BUF (4096 bytes) is atomic on the pipe.
#pragma once

#include <string>

namespace ra {

// Writes `line` and a newline with one write(2) (retried after EINTR or a partial write).
void write_stderr_line(const std::string& line);

}  // namespace ra

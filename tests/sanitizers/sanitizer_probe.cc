// Proves that a sanitizer build reports what it must and suppresses only what it may:
// each mode plants one fault (or none) and tests/sanitizers/CMakeLists.txt checks the
// outcome. Built only when RA_SANITIZE=address.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "runtime/core/deliberate_leak.h"

namespace {

// Globals are scanned by LeakSanitizer: clearing it leaves no reference.
void* volatile g_hidden = nullptr;

struct Staged {
  std::vector<unsigned char> bytes = std::vector<unsigned char>(4096, 1);
};

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "leak") == 0) {
    // Our own leak: no suppression may hide it.
    g_hidden = std::malloc(123);
    g_hidden = nullptr;
    return 0;
  }
  if (std::strcmp(mode, "deliberate") == 0) {
    // A buffer given up on purpose (an abandoned collective's): no report.
    auto owned = std::make_unique<Staged>();
    g_hidden = ra::leak_deliberately(owned);
    g_hidden = nullptr;
    return 0;
  }
  if (std::strcmp(mode, "ubsan") == 0) {
    // Signed overflow: UBSan must stop the process, not print and go on.
    volatile int big = std::numeric_limits<int>::max();
    const int sum = big + argc;
    std::printf("continued after undefined behaviour (%d)\n", sum);
    return 0;
  }
  if (std::strcmp(mode, "overflow") == 0) {
    std::vector<int> v(4);
    volatile std::size_t i = 4;
    std::printf("%d\n", v.data()[i]);
    return 0;
  }
  if (std::strcmp(mode, "mpi") == 0) {
    // MPI_Init .. MPI_Finalize: Open MPI's own allocations must all be suppressed.
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    std::printf("mpi rank %d sum %d\n", rank, sum);
    return 0;
  }
  std::fprintf(stderr, "usage: sanitizer_probe leak|deliberate|ubsan|overflow|mpi\n");
  return 2;
}

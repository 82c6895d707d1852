// A ring attention job with one planted fault, for tests/distributed/fault_test.sh:
//   ring_fault_worker <none|kill|stop|short> <rank> <at_exchange> <comm_timeout_ms>
// The failure path is the product's: comm::mpi::run_on_world prints one line and ends
// the job with the exit code of docs/errors.md.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "comm/mpi/mpi_session.h"
#include "comm/fault_injecting_communicator.h"
#include "tests/support/ring_harness.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: ring_fault_worker <none|kill|stop|short> <rank> <at_exchange> <comm_timeout_ms>\n";
    return 2;
  }
  using ra::comm::FaultKind;
  const std::string kind = argv[1];
  ra::comm::FaultPlan plan;
  plan.kind = kind == "kill"    ? FaultKind::kKill
              : kind == "stop"  ? FaultKind::kStop
              : kind == "short" ? FaultKind::kShortMessage
                                : FaultKind::kNone;
  plan.rank = std::atoi(argv[2]);
  plan.at_exchange = std::atoi(argv[3]);
  ra::comm::CommOptions options;
  options.timeout = std::chrono::milliseconds(std::atol(argv[4]));
  return ra::comm::mpi::run_on_world(options, [&](ra::comm::Communicator& world) {
    ra::comm::FaultInjectingCommunicator faulty(world, plan);
    const ra::testing::AttnCase c = ra::testing::make_case(
        {.lq = 256 * world.size(), .lk = 256 * world.size(), .hq = 2, .hkv = 1, .d = 32, .causal = true, .seed = 5});
    ra::testing::RingRunOptions o;
    o.layout = ra::layout::Layout::kZigzag;
    ra::testing::run_ring(faulty, c, o);
    if (world.rank() == 0) std::cout << "ring finished\n";
    return 0;
  });
}

// GoogleTest under mpiexec: every rank runs the same tests in the same order; the world
// communicator is reachable from the tests; rank 0 prints the usual report and the other
// ranks print only their failures, prefixed with their rank.
#pragma once

#include "comm/communicator.h"

namespace ra::testing {

comm::Communicator& world();

}  // namespace ra::testing

// run_gpu_selftest in a build without the CUDA targets (RA_CUDA=OFF, or no nvcc found):
// there is nothing to run on a GPU, and `ringattn selftest` falls back to the emulator.
#include "launch/selftest_gpu.h"

namespace ra::launch {

GpuSelftestOutcome run_gpu_selftest(const GpuSelftestOptions& /*options*/) {
  GpuSelftestOutcome outcome;
  outcome.why_not = "this ringattn was built without CUDA (RA_CUDA=OFF, or nvcc was not found at configure time)";
  return outcome;
}

}  // namespace ra::launch

// The GPU half of `ringattn selftest`: the CUDA kernels against the CPU kernels on the
// device, and their throughput. In a build without CUDA it reports that it did not run.
#pragma once

#include <string>

namespace ra::launch {

struct GpuSelftestOptions {
  int device = 0;
  int reps = 5;
};

struct GpuSelftestOutcome {
  bool ran = false;
  int exit_code = 0;    // when ran: 0 every case passed, 1 a case failed
  std::string why_not;  // when not: no device, no driver, or no CUDA in this build
};

GpuSelftestOutcome run_gpu_selftest(const GpuSelftestOptions& options);

}  // namespace ra::launch

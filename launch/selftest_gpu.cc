#include "launch/selftest_gpu.h"

#include <iostream>
#include <vector>

#include "kernels/cuda/op/cuda_attention.h"
#include "runtime/core/error.h"
#include "runtime/device/cuda/cuda_device.h"
#include "runtime/selftest/attention_selftest.h"
#include "runtime/selftest/cuda_placement.h"
#include "runtime/selftest/selftest_report.h"
#include "runtime/selftest/selftest_timing.h"

namespace ra::launch {

GpuSelftestOutcome run_gpu_selftest(const GpuSelftestOptions& options) {
  GpuSelftestOutcome outcome;
  std::unique_ptr<device::cuda::CudaDevice> gpu;
  try {
    device::cuda::CudaDeviceOptions device_options;
    device_options.ordinal = options.device;
    gpu = std::make_unique<device::cuda::CudaDevice>(device_options);
  } catch (const Error& e) {
    outcome.why_not = e.what();
    return outcome;
  }
  outcome.ran = true;
  auto stream = gpu->create_stream("selftest");
  kernels::cuda::CudaAttentionOptions op_options;
  op_options.stream = stream->native_handle();
  kernels::cuda::CudaAttention op(kernels::cuda::nvcc_attention_kernels(), op_options);
  std::cout << "CUDA kernels on device " << options.device << " vs the CPU kernels\n";
  std::vector<selftest::SelftestResult> results;
  bool ok = true;
  for (const selftest::SelftestCase& c : selftest::selftest_cases(selftest::SelftestScale::kDevice)) {
    selftest::CudaPlacement where(*gpu);
    results.push_back(selftest::run_selftest_case(c, op, where));
    ok = ok && results.back().ok();
  }
  std::cout << selftest::correctness_table(results);
  std::vector<selftest::ThroughputResult> speed;
  for (DType storage : {DType::kBF16, DType::kF16}) {
    for (std::int64_t d : {64, 128}) {
      selftest::CudaPlacement where(*gpu);
      speed.push_back(selftest::time_case(selftest::throughput_case(storage, d), op, where, options.reps));
    }
  }
  std::cout << selftest::throughput_table(speed);
  outcome.exit_code = ok ? 0 : 1;
  return outcome;
}

}  // namespace ra::launch

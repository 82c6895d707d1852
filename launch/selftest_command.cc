// `ringattn selftest`: the first command a user with GPUs runs. On a GPU it checks the
// CUDA kernels against the CPU kernels on the device (pass/fail table with max errors)
// and reports achieved TFLOP/s; without one (no device, no driver, or a build without
// CUDA) it says why and runs the same check with the CUDA kernels under the SIMT
// emulator instead (correctness only). The composition root builds both sides.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "launch/commands.h"
#include "runtime/backend/backend.h"
#include "runtime/core/error.h"
#include "runtime/selftest/attention_selftest.h"
#include "runtime/selftest/device_placement.h"
#include "runtime/selftest/selftest_report.h"
#include "runtime/selftest/selftest_timing.h"

namespace ra::launch {
namespace {

struct SelftestFlags {
  int device = 0;
  int reps = 5;
  bool emulator = false;
  std::string precision = "fast";
};

backend::BackendOptions kernels_only(backend::Kernels k, const std::string& precision) {
  backend::BackendOptions o;
  o.kernels = k;
  o.threads = 2;
  o.precision = precision == "exact" ? kernels::cuda::MmaPrecision::kExact : kernels::cuda::MmaPrecision::kFast;
  return o;
}

int run_selftest(const SelftestFlags& f) {
  std::optional<backend::Accelerator> under_test;
  if (!f.emulator) {
    try {
      under_test = backend::make_accelerator(kernels_only(backend::Kernels::kCuda, f.precision), f.device);
    } catch (const Error& e) {
      std::cout << "ringattn selftest: no GPU to test (" << e.what()
                << "). Running the CUDA kernels under the SIMT emulator instead: correctness only, no timing.\n";
    }
  }
  const bool on_gpu = under_test.has_value();
  if (!on_gpu) {
    under_test = backend::make_accelerator(kernels_only(backend::Kernels::kSimt, f.precision), 0);
    std::cout
        << "CUDA kernels under the SIMT emulator (each thread a fiber, order shuffled between barriers) vs the "
           "CPU kernels. Proves the kernels' arithmetic, masking and synchronization; says nothing about speed.\n";
  } else {
    std::cout << under_test->description << ": the CUDA kernels (" << f.precision << " precision) vs the CPU kernels\n";
  }
  const auto reference = backend::make_block_op(kernels_only(backend::Kernels::kCpu, f.precision));

  std::vector<selftest::SelftestResult> results;
  bool ok = true;
  const auto scale = on_gpu ? selftest::SelftestScale::kDevice : selftest::SelftestScale::kEmulator;
  for (const selftest::SelftestCase& c : selftest::selftest_cases(scale)) {
    selftest::DevicePlacement where(*under_test->device, *under_test->stream);
    results.push_back(selftest::run_selftest_case(c, *reference, *under_test->op, where));
    ok = ok && results.back().ok();
  }
  std::cout << selftest::correctness_table(results);
  if (on_gpu) {
    std::vector<selftest::ThroughputResult> speed;
    for (DType storage : {DType::kBF16, DType::kF16}) {
      for (std::int64_t d : {64, 128}) {
        selftest::DevicePlacement where(*under_test->device, *under_test->stream);
        speed.push_back(selftest::time_case(selftest::throughput_case(storage, d), *under_test->op, where, f.reps));
      }
    }
    std::cout << selftest::throughput_table(speed);
  }
  return ok ? 0 : 1;
}

}  // namespace

void add_selftest_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<SelftestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "selftest", "check the CUDA kernels against the CPU kernels on the GPU (or under the SIMT emulator without one)");
  cmd->add_option("--device", flags->device, "CUDA device ordinal")->check(CLI::NonNegativeNumber);
  cmd->add_option("--reps", flags->reps, "timed repetitions per throughput figure (median)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--emulator", flags->emulator, "run the check under the SIMT emulator even when a GPU is present");
  cmd->add_option("--precision", flags->precision,
                  "products of P and dS: fast (rounded to the storage type, as FlashAttention) or exact (fp32)")
      ->check(CLI::IsMember({"fast", "exact"}));
  cmd->callback([flags, &action] { action = [flags] { return run_selftest(*flags); }; });
}

}  // namespace ra::launch

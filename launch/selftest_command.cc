// `ringattn selftest`: the first command a user with GPUs runs. On a GPU it checks the
// CUDA kernels against the CPU kernels on the device (pass/fail table with max errors)
// and reports achieved TFLOP/s; without one (no device, no driver, or a build without
// CUDA) it says why and runs the same check under the SIMT emulator instead, by running
// `ringattn-emulator-check` from beside this executable.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <iostream>
#include <string>

#include "launch/commands.h"
#include "launch/selftest_gpu.h"
#include "runtime/core/error.h"

namespace ra::launch {
namespace {

struct SelftestFlags {
  int device = 0;
  int reps = 5;
  bool emulator = false;
};

std::filesystem::path emulator_check_path() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : self.parent_path()) / "ringattn-emulator-check";
}

[[noreturn]] void run_emulator_check() {
  const std::filesystem::path check = emulator_check_path();
  std::cout.flush();
  const std::string path = check.string();
  char* const argv[] = {const_cast<char*>(path.c_str()), nullptr};
  ::execv(path.c_str(), argv);
  throw UsageError("the emulator check '" + path + "' could not be run (" + std::strerror(errno) +
                   "); it is built next to ringattn: cmake --build <build dir>");
}

int run_selftest(const SelftestFlags& f) {
  if (!f.emulator) {
    GpuSelftestOptions o;
    o.device = f.device;
    o.reps = f.reps;
    const GpuSelftestOutcome gpu = run_gpu_selftest(o);
    if (gpu.ran) return gpu.exit_code;
    std::cout << "ringattn selftest: no GPU to test (" << gpu.why_not
              << "). Running the CUDA kernels under the SIMT emulator instead: correctness only, no timing.\n";
  }
  run_emulator_check();
}

}  // namespace

void add_selftest_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<SelftestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "selftest", "check the CUDA kernels against the CPU kernels on the GPU (or under the SIMT emulator without one)");
  cmd->add_option("--device", flags->device, "CUDA device ordinal")->check(CLI::NonNegativeNumber);
  cmd->add_option("--reps", flags->reps, "timed repetitions per throughput figure (median)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--emulator", flags->emulator, "run the emulator check even when a GPU is present");
  cmd->callback([flags, &action] { action = [flags] { return run_selftest(*flags); }; });
}

}  // namespace ra::launch

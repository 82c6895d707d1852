// `ringattn-emulator-check`: what `ringattn selftest` runs on a machine without a GPU —
// the CUDA kernels under the SIMT emulator (threads shuffled between barriers) against
// the CPU kernels, as a pass/fail table. Exit 0: every case passed; 1: a case failed.
#include <iostream>
#include <vector>

#include "kernels/cuda/op/cuda_attention.h"
#include "runtime/core/error.h"
#include "runtime/selftest/attention_selftest.h"
#include "runtime/selftest/host_placement.h"
#include "runtime/selftest/selftest_report.h"

int main() {
  try {
    std::cout << "CUDA kernels under the SIMT emulator (each thread a fiber, order shuffled between barriers) vs the "
                 "CPU kernels. Proves the kernels' arithmetic, masking and synchronization; says nothing about speed.\n";
    ra::kernels::cuda::CudaAttention op(ra::kernels::cuda::simt_attention_kernels(), ra::kernels::cuda::CudaAttentionOptions{});
    std::vector<ra::selftest::SelftestResult> results;
    bool ok = true;
    for (const ra::selftest::SelftestCase& c : ra::selftest::selftest_cases(ra::selftest::SelftestScale::kEmulator)) {
      ra::selftest::HostPlacement where;
      results.push_back(ra::selftest::run_selftest_case(c, op, where));
      ok = ok && results.back().ok();
    }
    std::cout << ra::selftest::correctness_table(results);
    return ok ? 0 : 1;
  } catch (const ra::Error& e) {
    std::cerr << "ringattn-emulator-check: error: " << e.what() << '\n';
    return ra::exit_status(e);
  } catch (const std::exception& e) {
    std::cerr << "ringattn-emulator-check: internal error: " << e.what() << '\n';
    return static_cast<int>(ra::ExitCode::kInternal);
  }
}

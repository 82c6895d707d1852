#include "runtime/selftest/selftest_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace ra::selftest {
namespace {

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

}  // namespace

std::string correctness_table(const std::vector<SelftestResult>& results) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-34s %9s %9s %9s %9s %9s %9s %9s  %s\n", "case (max |error| vs CPU kernels)", "O",
                "LSE", "Dsum", "dQ", "dK", "dV", "err/tol", "result");
  out << line;
  int failed = 0;
  for (const SelftestResult& r : results) {
    double worst = 0;
    std::snprintf(line, sizeof line, "%-34s", r.c.name.c_str());
    out << line;
    for (const OutputError& e : r.errors) {
      out << ' ' << fmt("%9.1e", e.max_err);
      worst = std::max(worst, e.tolerance > 0 ? e.max_err / e.tolerance : (e.max_err > 0 ? 1e9 : 0.0));
    }
    out << ' ' << fmt("%9.3f", worst) << "  " << (r.ok() ? "PASS" : "FAIL") << '\n';
    if (!r.ok()) {
      ++failed;
      for (const OutputError& e : r.errors) {
        if (!e.ok()) {
          out << "    " << e.tensor << ": max error " << fmt("%.3e", e.max_err) << " at flat index " << e.at
              << " exceeds the tolerance " << fmt("%.3e", e.tolerance) << '\n';
        }
      }
    }
  }
  out << "tolerances: O 2 ulp of the storage type at max|O|; LSE, Dsum 1e-5 and dQ, dK, dV 1e-4 of max|reference|; "
         "with fast products (16-bit P and dS, the CUDA default) plus u·max Σ|terms| on O, dQ, dK, dV "
         "(docs/numerics.md)\n";
  out << (failed == 0 ? "all " + std::to_string(results.size()) + " cases PASS"
                      : std::to_string(failed) + " of " + std::to_string(results.size()) + " cases FAIL")
      << '\n';
  return out.str();
}

std::string throughput_table(const std::vector<ThroughputResult>& results) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-34s %10s %10s %12s %12s\n", "throughput (median)", "fwd ms", "bwd ms",
                "fwd TFLOP/s", "bwd TFLOP/s");
  out << line;
  for (const ThroughputResult& t : results) {
    std::snprintf(line, sizeof line, "%-34s %10.3f %10.3f %12.1f %12.1f\n", t.c.name.c_str(), t.fwd_seconds * 1e3,
                  t.bwd_seconds * 1e3, t.fwd_flops / t.fwd_seconds / 1e12, t.bwd_flops / t.bwd_seconds / 1e12);
    out << line;
  }
  out << "FLOPs counted as attention's useful work (4·D per visible query-key pair forward, 2.5× that backward, "
         "FlashAttention's convention); the kernels issue 2× (forward) and 2.6× (backward) as many tensor-core "
         "operations to keep fp32 products (docs/cuda.md)\n";
  return out.str();
}

}  // namespace ra::selftest

// The numerics policy of docs/design.md §8 as a check:
//   max|impl - ref64| <= 2 * max|naive_same_precision - ref64| + floor
// The floor covers entries where the naive implementation happens to be exact while
// any other summation order is not:
//  - O and LSE: floor = 1e-6 · max(1, max|ref64|) (e.g. one visible key: naive O = V).
//  - dQ, dK, dV: floor = 1e-7 · max Σ|terms| (the reference's *_mag tensors), the
//    first-order forward error bound eps_f32 · Σ|terms| with constant ~1. It matters
//    where the gradient cancels: dS = P ∘ (dP - Dsum) subtracts two size-D dot products
//    that are equal in exact arithmetic whenever a row sees one key, so the true
//    gradient is 0; naive sums both in the same order and gets exactly 0, a GEMM sums
//    dP in another order and leaves rounding that scales with the terms, not the result.
//    The terms include the rounding of P = exp(S − LSE) itself: a tiled backward
//    recomputes S in another order than its forward, so P carries a relative error
//    ≈ eps·(Σ|scale·q·k| + |bias| + |LSE|) — visible where naive P is exactly 1 (a row
//    that sees one key, window 1), and larger or smaller with the BLAS kernel the CPU
//    gets (measured: OpenBLAS's Haswell and Zen kernels, not its SkylakeX one).
// Real defects (wrong mask, wrong scale, a lost block) give errors of order max|ref|.
// -inf must match -inf exactly; NaN never passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ra::testing {

inline constexpr double kFloorRelOutput = 1e-6;
inline constexpr double kFloorRelGradMag = 1e-7;

struct Comparison {
  bool ok = true;
  double max_err = 0;    // max |impl - ref64|
  std::int64_t at = -1;  // flat index of max_err (or of the first -inf/NaN mismatch)
  double naive_err = 0;  // max |naive - ref64|
  double bound = 0;
  std::string why;  // set when a non-finite value mismatched
};

Comparison compare_to_reference(const std::vector<float>& impl, const std::vector<double>& ref64,
                                const std::vector<float>& naive, double floor);

// 1e-6 · max(1, max|finite ref|): the floor of O and LSE.
double output_floor(const std::vector<double>& ref64);
// 1e-7 · max(mag): the floor of a gradient.
double gradient_floor(const std::vector<double>& mag64);
// u · max(mag16): what rounding P and dS to a 16-bit type with unit roundoff u before the
// tensor-core products adds to the bound (kernels/cuda MmaPrecision::kFast; derivation in
// docs/numerics.md "Error of 16-bit P and dS"). mag16 is the reference's o_mag16 or
// d*_mag16: the first-order error is ≤ u · mag16 element-wise; second-order terms
// (u², u·eps_f32) are below the f32 floor. Zero for u = 0 (exact products).
double rounded_product_floor(double unit_roundoff, const std::vector<double>& mag16);

// "O: max err 3.1e-06 at [12, 3, 7] (impl 0.25 vs ref 0.2500031), bound 2.2e-06 (naive err 6e-07)"
std::string describe(const std::string& tensor, const Comparison& c, const std::vector<std::int64_t>& shape,
                     const std::vector<float>& impl, const std::vector<double>& ref64);

}  // namespace ra::testing

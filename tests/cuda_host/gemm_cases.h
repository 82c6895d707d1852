// The GEMM cases of the GPU path and their checks, shared by the CPU test of the mapping
// (device_gemm_test.cc: HostColumnMajorGemm) and the GPU test of cuBLAS
// (cublas_gemm_gpu_test.cc: CublasGemm): the same cases, operands and bound for both.
//
// A case is a row-major GEMM (gemm::RowMajorGemm) with generated operands; the reference
// is a naive row-major GEMM in f64 on the unrounded inputs.
//
// Tolerance, per element (i, j) of C, with T = |alpha|·Σ_p |op(A)_ip|·|op(B)_pj| + |beta|·|C0_ij|
// (the f64 sum of absolute terms) and u_in, u_out the unit roundoffs of the input and output
// types (f32 2^-24, bf16 2^-8, f16 2^-11; u_in = 0 for f32 inputs, which are used as given):
//
//   storing the inputs:   each product â·b̂ = a·b·(1+δ₁)(1+δ₂), |δ| ≤ u_in  → (2·u_in + u_in²)·T
//   fp32 accumulation:    k products, k − 1 sums, alpha, beta·C, + : k + 2 roundings in fp32,
//                         any order → γ(k+2)·(1 + u_in)²·T,  γ(n) = n·u_acc / (1 − n·u_acc),
//                         u_acc = 2^-24 (round to nearest)
//   storing C:            one rounding to C's type, u_out·(|ref| + the two terms above)
//
// plus the absolute errors of gradual underflow, where a relative bound does not hold: an
// f16 input or result below 2^-14 is rounded to a multiple of 2^-24 (error ≤ η/2, η the
// type's smallest subnormal: f16 2^-24, bf16 2^-133, f32 2^-149), which adds
// |alpha|·(η_in/2)·Σ_p (|a_ip| + |b_pj| + η_in/2) for the inputs, (k + 2)·2^-150 for the fp32
// sums and (1 + |beta|)·η_out/2 for storing C and C0. (Found by the test: f16 results near 1e-6 are subnormal.)
//
// For f32 this is the classical γ(k+2)·T (≈ 2^-24·k relative to the terms); for bf16 inputs
// it is dominated by 2·2^-8·T, and grows with k through γ (the GPU, and this executor, sum in
// fp32). The bound holds for any summation order, so it also compares a GPU run with the
// reference — with u = 2^-23 for the accumulation (Accumulation::kTensorCore): tensor-core
// fp32 accumulators on sm_80/sm_90 are not IEEE round-to-nearest (docs/cuda.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/gemm/device_gemm.h"
#include "runtime/core/dtype.h"

namespace ra::gemm::cases {

// Elements of one ElementType as raw bytes (what a device pointer points to), with the
// unrounded values they were stored from.
struct Buffer {
  ElementType type = ElementType::kF32;
  std::vector<float> values;  // as generated, before storing
  std::vector<std::uint8_t> bytes;

  Buffer(ElementType t, std::int64_t elems) : type(t) {
    values.resize(static_cast<std::size_t>(elems));
    // 16 spare bytes: a test may start the operand off its alignment on purpose.
    bytes.resize(static_cast<std::size_t>(elems * element_size_bytes(t)) + 16);
  }
  void store(std::int64_t i, float v) {
    values[static_cast<std::size_t>(i)] = v;
    std::uint8_t* p = bytes.data() + i * element_size_bytes(type);
    switch (type) {
      case ElementType::kF32: std::memcpy(p, &v, 4); break;
      case ElementType::kBF16: {
        const bf16 h = to_bf16(v);
        std::memcpy(p, &h, 2);
        break;
      }
      case ElementType::kF16: {
        const f16 h = to_f16(v);
        std::memcpy(p, &h, 2);
        break;
      }
    }
  }
  float load(std::int64_t i) const {
    const std::uint8_t* p = bytes.data() + i * element_size_bytes(type);
    switch (type) {
      case ElementType::kF32: {
        float v;
        std::memcpy(&v, p, 4);
        return v;
      }
      case ElementType::kBF16: {
        bf16 h;
        std::memcpy(&h, p, 2);
        return to_float(h);
      }
      case ElementType::kF16: {
        f16 h;
        std::memcpy(&h, p, 2);
        return to_float(h);
      }
    }
    return 0.0f;
  }
  std::int64_t elems() const { return static_cast<std::int64_t>(values.size()); }
};

// How the matrices of a batch are placed.
enum class BatchLayout : std::uint8_t {
  kConsecutive,      // matrix after matrix (a gap of 3 elements between them)
  kSharedB,          // B has stride 0: one weight for every matrix of the batch
  kInterleavedHeads  // A, B, C are the heads of [L, H, D] tensors: stride = one head's columns, ld = H·D
};

enum class Padding : std::uint8_t { kDense, kPadded };  // padded: ld = row length + 5

struct GemmCase {
  std::string name;
  Transpose trans_a, trans_b;
  std::int64_t m, n, k;
  ElementType in_type, c_type;
  float alpha = 1.0f, beta = 0.0f;
  std::int64_t batch_count = 1;
  BatchLayout layout = BatchLayout::kConsecutive;
  Padding padding = Padding::kDense;
  std::uint32_t seed = 1;  // of the operands
};

std::string describe(const GemmCase& c);

// Row-major operands of a case, generated and stored.
struct Operands {
  RowMajorGemm g;
  std::int64_t a_rows, a_cols, b_rows, b_cols;
  Buffer a, b, c;
  std::vector<float> c_before;  // C's stored values before the GEMM (padding included)
};

// Generates and stores the operands: uniform in [−1, 1]; C random where beta reads it and
// NaN where beta = 0 (cuBLAS must not read it).
Operands make_operands(const GemmCase& tc);

struct Comparison {
  double max_ratio = 0;  // max over C of |impl − ref| / bound (≤ 1 passes)
  double max_error = 0;
  std::string where;      // the worst element
  std::string untouched;  // empty, or the first element outside C that changed
  std::int64_t checked = 0;
};

// How the implementation accumulates: IEEE fp32 round to nearest (the CPU executor), or a
// GPU's tensor cores, whose fp32 accumulators may truncate (unit roundoff 2^-23).
enum class Accumulation : std::uint8_t { kRoundToNearest, kTensorCore };

// Compares C (o.c, after the GEMM) with the reference, element by element against the bound
// above, and checks that nothing outside C changed.
Comparison compare(const GemmCase& tc, const Operands& o, Accumulation accumulation = Accumulation::kRoundToNearest);

// Named groups of cases.
struct CaseGroup {
  std::string name;
  std::vector<GemmCase> cases;
};

// Every GEMM the model issues (runtime/model/transformer.cc, layers.cc) with the dims of
// configs/train/passkey_cpu.yaml and of ModelConfig's defaults with GQA, plus per-head
// attention products and sequences batched with one shared weight.
std::vector<CaseGroup> model_cases();

// Odd shapes: every transpose pair × every type combination cuBLAS takes × dense and padded
// leading dimensions on m, n, k = 1, sizes not multiples of 8; batched with every layout;
// k = 0, empty C, batch 0.
std::vector<CaseGroup> odd_cases();

}  // namespace ra::gemm::cases

// The GEMMs of the GPU path verified without a GPU: every GEMM the model issues (and odd,
// batched and degenerate ones) goes row-major description → to_column_major → the CPU
// executor of cuBLAS's column-major semantics (HostColumnMajorGemm, the same arguments
// cuBLAS receives), and is compared with a naive row-major GEMM in f64 on the unrounded
// inputs. A wrong transpose, swapped operand, leading dimension or batch stride gives
// errors of the order of the result; the tolerance is the rounding bound below.
//
// Tolerance, per element (i, j) of C, with T = |alpha|·Σ_p |op(A)_ip|·|op(B)_pj| + |beta|·|C0_ij|
// (the f64 sum of absolute terms) and u_in, u_out the unit roundoffs of the input and output
// types (f32 2^-24, bf16 2^-8, f16 2^-11; u_in = 0 for f32 inputs, which are used as given):
//
//   storing the inputs:   each product â·b̂ = a·b·(1+δ₁)(1+δ₂), |δ| ≤ u_in  → (2·u_in + u_in²)·T
//   fp32 accumulation:    k products, k − 1 sums, alpha, beta·C, + : k + 2 roundings in fp32,
//                         any order → γ(k+2)·(1 + u_in)²·T,  γ(n) = n·2^-24 / (1 − n·2^-24)
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
// fp32). The bound holds for cuBLAS's blocked order as well, so the same bound will compare
// a GPU run with the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/gemm/device_gemm.h"
#include "kernels/gemm/host_column_major_gemm.h"
#include "runtime/core/dtype.h"
#include "runtime/core/error.h"

namespace ra::gemm {
namespace {

double unit_roundoff(ElementType t) {
  switch (t) {
    case ElementType::kF32: return std::ldexp(1.0, -24);
    case ElementType::kBF16: return std::ldexp(1.0, -8);
    case ElementType::kF16: return std::ldexp(1.0, -11);
  }
  return 1.0;
}

// The smallest positive subnormal of the type.
double smallest_subnormal(ElementType t) {
  switch (t) {
    case ElementType::kF32: return std::ldexp(1.0, -149);
    case ElementType::kBF16: return std::ldexp(1.0, -133);
    case ElementType::kF16: return std::ldexp(1.0, -24);
  }
  return 1.0;
}

double gamma_f32(std::int64_t n) {
  const double nu = static_cast<double>(n) * std::ldexp(1.0, -24);
  return nu / (1.0 - nu);
}

// A buffer of elements of one ElementType, as raw bytes (what a device pointer points to),
// with the unrounded values it was filled from.
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
  kConsecutive,     // matrix after matrix (a gap of 3 elements between them)
  kSharedB,         // B has stride 0: one weight for every matrix of the batch
  kInterleavedHeads // A, B, C are the heads of [L, H, D] tensors: stride = one head's columns, ld = H·D
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
};

std::string describe(const GemmCase& c) {
  std::ostringstream os;
  os << c.name << " [" << (c.trans_a == Transpose::kYes ? "T" : "N") << (c.trans_b == Transpose::kYes ? "T" : "N")
     << " m=" << c.m << " n=" << c.n << " k=" << c.k << " batch=" << c.batch_count << " "
     << element_type_name(c.in_type) << "->" << element_type_name(c.c_type) << " alpha=" << c.alpha
     << " beta=" << c.beta << (c.padding == Padding::kPadded ? " padded" : "") << "]";
  return os.str();
}

// Row-major operands of a case, generated and stored.
struct Operands {
  RowMajorGemm g;
  std::int64_t a_rows, a_cols, b_rows, b_cols;
  Buffer a, b, c;
  std::vector<float> c_before;  // C's stored values before the GEMM (padding included)
};

Operands make_operands(const GemmCase& tc, std::uint32_t seed) {
  RowMajorGemm g;
  g.trans_a = tc.trans_a;
  g.trans_b = tc.trans_b;
  g.m = tc.m;
  g.n = tc.n;
  g.k = tc.k;
  g.batch_count = tc.batch_count;
  g.a_type = g.b_type = tc.in_type;
  g.c_type = tc.c_type;
  const std::int64_t a_rows = tc.trans_a == Transpose::kNo ? tc.m : tc.k, a_cols = tc.trans_a == Transpose::kNo ? tc.k : tc.m;
  const std::int64_t b_rows = tc.trans_b == Transpose::kNo ? tc.k : tc.n, b_cols = tc.trans_b == Transpose::kNo ? tc.n : tc.k;
  const std::int64_t pad = tc.padding == Padding::kPadded ? 5 : 0;
  std::int64_t a_elems = 0, b_elems = 0, c_elems = 0;
  if (tc.layout == BatchLayout::kInterleavedHeads) {
    // Head h of X [rows, H, cols] starts at column h·cols of a rows × (H·cols) matrix.
    g.lda_elems = tc.batch_count * a_cols + pad;
    g.ldb_elems = tc.batch_count * b_cols + pad;
    g.ldc_elems = tc.batch_count * tc.n + pad;
    g.stride_a_elems = a_cols;
    g.stride_b_elems = b_cols;
    g.stride_c_elems = tc.n;
    a_elems = a_rows * g.lda_elems;
    b_elems = b_rows * g.ldb_elems;
    c_elems = tc.m * g.ldc_elems;
  } else {
    g.lda_elems = a_cols + pad;
    g.ldb_elems = b_cols + pad;
    g.ldc_elems = tc.n + pad;
    g.stride_a_elems = a_rows * g.lda_elems + 3;
    g.stride_b_elems = tc.layout == BatchLayout::kSharedB ? 0 : b_rows * g.ldb_elems + 3;
    g.stride_c_elems = tc.m * g.ldc_elems + 3;
    a_elems = tc.batch_count * g.stride_a_elems;
    b_elems = tc.layout == BatchLayout::kSharedB ? b_rows * g.ldb_elems : tc.batch_count * g.stride_b_elems;
    c_elems = tc.batch_count * g.stride_c_elems;
  }
  Operands o{g, a_rows, a_cols, b_rows, b_cols, Buffer(tc.in_type, a_elems), Buffer(tc.in_type, b_elems),
             Buffer(tc.c_type, c_elems), {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (std::int64_t i = 0; i < a_elems; ++i) o.a.store(i, uniform(rng));
  for (std::int64_t i = 0; i < b_elems; ++i) o.b.store(i, uniform(rng));
  // C: random where beta reads it; NaN where beta = 0 (cuBLAS must not read it), and in
  // the padding and gaps, which must come back untouched.
  for (std::int64_t i = 0; i < c_elems; ++i)
    o.c.store(i, tc.beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : uniform(rng));
  o.c_before.resize(static_cast<std::size_t>(c_elems));
  for (std::int64_t i = 0; i < c_elems; ++i) o.c_before[static_cast<std::size_t>(i)] = o.c.load(i);
  return o;
}

struct Comparison {
  double max_ratio = 0;  // max over C of |impl − ref| / bound (≤ 1 passes)
  double max_error = 0;
  std::string where;     // the worst element
  std::string untouched;  // empty, or the first element outside C that changed
  std::int64_t checked = 0;
};

// The row-major reference in f64 on the unrounded values, and the bound of the header.
Comparison compare(const GemmCase& tc, const Operands& o) {
  const RowMajorGemm& g = o.g;
  const double u_in = tc.in_type == ElementType::kF32 ? 0.0 : unit_roundoff(tc.in_type);
  const double u_out = tc.c_type == ElementType::kF32 ? 0.0 : unit_roundoff(tc.c_type);
  const double input_term = 2 * u_in + u_in * u_in;
  const double accumulation_term = gamma_f32(tc.k + 2) * (1 + u_in) * (1 + u_in);
  const double half_eta_in = tc.in_type == ElementType::kF32 ? 0.0 : smallest_subnormal(tc.in_type) / 2;
  const double half_eta_out = smallest_subnormal(tc.c_type) / 2;
  const double accumulation_underflow = static_cast<double>(tc.k + 2) * std::ldexp(1.0, -150);
  Comparison r;
  std::vector<char> is_c(static_cast<std::size_t>(o.c.elems()), 0);
  for (std::int64_t batch = 0; batch < g.batch_count; ++batch) {
    const std::int64_t a0 = batch * g.stride_a_elems, b0 = batch * g.stride_b_elems, c0 = batch * g.stride_c_elems;
    for (std::int64_t i = 0; i < g.m; ++i) {
      for (std::int64_t j = 0; j < g.n; ++j) {
        double dot = 0, abs_dot = 0, abs_sum = 0;
        for (std::int64_t p = 0; p < g.k; ++p) {
          const std::int64_t ai = g.trans_a == Transpose::kNo ? i * g.lda_elems + p : p * g.lda_elems + i;
          const std::int64_t bi = g.trans_b == Transpose::kNo ? p * g.ldb_elems + j : j * g.ldb_elems + p;
          const double t = static_cast<double>(o.a.values[static_cast<std::size_t>(a0 + ai)]) *
                           static_cast<double>(o.b.values[static_cast<std::size_t>(b0 + bi)]);
          dot += t;
          abs_dot += std::fabs(t);
          abs_sum += std::fabs(o.a.values[static_cast<std::size_t>(a0 + ai)]) +
                     std::fabs(o.b.values[static_cast<std::size_t>(b0 + bi)]) + half_eta_in;
        }
        const std::int64_t ci = c0 + i * g.ldc_elems + j;
        const double c_in = tc.beta == 0.0f ? 0.0 : static_cast<double>(o.c.values[static_cast<std::size_t>(ci)]);
        const double ref = double{tc.alpha} * dot + double{tc.beta} * c_in;
        const double terms = std::fabs(double{tc.alpha}) * abs_dot + std::fabs(double{tc.beta}) * std::fabs(c_in);
        const double before_out = (input_term + accumulation_term) * terms +
                                  std::fabs(double{tc.alpha}) * half_eta_in * abs_sum + accumulation_underflow;
        const double bound =
            before_out + u_out * (std::fabs(ref) + before_out) + (1 + std::fabs(double{tc.beta})) * half_eta_out;
        const double impl = o.c.load(ci);
        const double err = std::fabs(impl - ref);
        // An exact bound of 0 (all terms 0) is met only by an exact result.
        const double ratio = std::isnan(impl) ? std::numeric_limits<double>::infinity()
                             : bound > 0     ? err / bound
                             : err == 0      ? 0.0
                                             : std::numeric_limits<double>::infinity();
        is_c[static_cast<std::size_t>(ci)] = 1;
        ++r.checked;
        if (ratio > r.max_ratio || (r.where.empty() && ratio >= r.max_ratio)) {
          r.max_ratio = ratio;
          r.max_error = err;
          std::ostringstream os;
          os << "batch " << batch << ", C(" << i << ", " << j << "): got " << impl << ", reference " << ref
             << ", |error| " << err << ", bound " << bound;
          r.where = os.str();
        }
      }
    }
  }
  for (std::int64_t e = 0; e < o.c.elems() && r.untouched.empty(); ++e) {
    if (is_c[static_cast<std::size_t>(e)]) continue;
    const float before = o.c_before[static_cast<std::size_t>(e)], after = o.c.load(e);
    if (std::memcmp(&before, &after, sizeof(float)) != 0)
      r.untouched = "element " + std::to_string(e) + " outside C changed from " + std::to_string(before) + " to " +
                    std::to_string(after);
  }
  return r;
}

// Runs a case through the mapping and the executor and checks it against the reference;
// returns max |error| / bound (how much of the tolerance the case used).
double check_case(const GemmCase& tc, std::uint32_t seed = 1) {
  SCOPED_TRACE(describe(tc));
  Operands o = make_operands(tc, seed);
  HostColumnMajorGemm gemm;
  DeviceGemm& device = gemm;  // what the training code holds
  device.multiply(o.g, tc.alpha, o.a.bytes.data(), o.b.bytes.data(), tc.beta, o.c.bytes.data());
  const Comparison r = compare(tc, o);
  EXPECT_LE(r.max_ratio, 1.0) << "max |error| " << r.max_error << " at " << r.where;
  EXPECT_TRUE(r.untouched.empty()) << r.untouched;
  EXPECT_EQ(r.checked, tc.batch_count * tc.m * tc.n);
  return r.max_ratio;
}

// Prints how much of the tolerance a group of cases used (a bound far above every error
// would prove nothing; docs/cuda.md quotes these figures).
struct RatioReport {
  const char* what;
  double max_ratio = 0;
  void add(double r) { max_ratio = std::max(max_ratio, r); }
  ~RatioReport() { std::printf("[ ratio    ] %s: max |error| / bound = %.3f\n", what, max_ratio); }
};

// ---------------------------------------------------------------------------------------
// The argument mapping itself, spelled out for the model's three linear-layer GEMMs.

TEST(CublasMapping, LinearForwardIsTheFamiliarTN) {
  // y[n_tok, out] = x[n_tok, in] · W[out, in]ᵀ  →  cuBLAS: Cᵀ = W·xᵀ, i.e.
  // gemm(T, N, m = out, n = n_tok, k = in, A = W (lda in), B = x (ldb in), C = y (ldc out)).
  RowMajorGemm g;
  g.trans_a = Transpose::kNo;
  g.trans_b = Transpose::kYes;
  g.m = 1024;
  g.n = 172;
  g.k = 64;
  g.lda_elems = 64;
  g.ldb_elems = 64;
  g.ldc_elems = 172;
  g.a_type = g.b_type = ElementType::kBF16;
  g.c_type = ElementType::kBF16;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.transa, BlasOp::kT);
  EXPECT_EQ(c.transb, BlasOp::kN);
  EXPECT_EQ(c.m, 172);
  EXPECT_EQ(c.n, 1024);
  EXPECT_EQ(c.k, 64);
  EXPECT_EQ(c.first, FirstOperand::kRowMajorB);
  EXPECT_EQ(c.lda, 64);
  EXPECT_EQ(c.ldb, 64);
  EXPECT_EQ(c.ldc, 172);
  EXPECT_EQ(c.batch_count, 1);
  EXPECT_EQ(c.a_type, ElementType::kBF16);
  EXPECT_EQ(c.compute, ComputeType::kF32);
  // 172 bf16 = 344 bytes: C's rows are 8-byte, not 16-byte, multiples.
  EXPECT_EQ(c.stride_alignment_bytes, 8);
}

TEST(CublasMapping, BackwardDxAndDw) {
  // dx[n_tok, in] = dy[n_tok, out] · W[out, in]  →  gemm(N, N, in, n_tok, out, W (ld in), dy (ld out), dx (ld in)).
  RowMajorGemm dx;
  dx.m = 1024;
  dx.n = 64;
  dx.k = 256;
  dx.lda_elems = 256;
  dx.ldb_elems = 64;
  dx.ldc_elems = 64;
  ColumnMajorGemm c = to_column_major(dx);
  EXPECT_EQ(c.transa, BlasOp::kN);
  EXPECT_EQ(c.transb, BlasOp::kN);
  EXPECT_EQ(c.m, 64);
  EXPECT_EQ(c.n, 1024);
  EXPECT_EQ(c.k, 256);
  EXPECT_EQ(c.lda, 64);
  EXPECT_EQ(c.ldb, 256);
  EXPECT_EQ(c.ldc, 64);
  EXPECT_EQ(c.stride_alignment_bytes, 16);
  // dW[out, in] += dy[n_tok, out]ᵀ · x[n_tok, in]  →  gemm(N, T, in, out, n_tok, x (ld in), dy (ld out), dW (ld in)).
  RowMajorGemm dw;
  dw.trans_a = Transpose::kYes;
  dw.m = 256;
  dw.n = 64;
  dw.k = 1024;
  dw.lda_elems = 256;
  dw.ldb_elems = 64;
  dw.ldc_elems = 64;
  c = to_column_major(dw);
  EXPECT_EQ(c.transa, BlasOp::kN);
  EXPECT_EQ(c.transb, BlasOp::kT);
  EXPECT_EQ(c.m, 64);
  EXPECT_EQ(c.n, 256);
  EXPECT_EQ(c.k, 1024);
  EXPECT_EQ(c.lda, 64);
  EXPECT_EQ(c.ldb, 256);
  EXPECT_EQ(c.ldc, 64);
}

TEST(CublasMapping, BatchStridesFollowTheirPointersAndEmptyRowsGetLdOne) {
  RowMajorGemm g;
  g.m = 3;
  g.n = 5;
  g.k = 0;  // C = beta·C: A is 3 × 0 with ld 0, which cuBLAS would refuse as lda 0
  g.lda_elems = 0;
  g.ldb_elems = 5;
  g.ldc_elems = 5;
  g.batch_count = 4;
  g.stride_a_elems = 7;
  g.stride_b_elems = 0;
  g.stride_c_elems = 15;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.ldb, 1);
  EXPECT_EQ(c.stride_a, 0);   // row-major B
  EXPECT_EQ(c.stride_b, 7);   // row-major A
  EXPECT_EQ(c.stride_c, 15);
  EXPECT_EQ(c.batch_count, 4);
}

TEST(CublasMapping, TensorCoreAlignment) {
  RowMajorGemm g;
  g.m = g.n = g.k = 64;
  g.lda_elems = g.ldb_elems = g.ldc_elems = 64;
  g.a_type = g.b_type = ElementType::kBF16;
  const ColumnMajorGemm c = to_column_major(g);
  EXPECT_EQ(c.stride_alignment_bytes, 16);
  alignas(16) static std::uint8_t memory[64];
  EXPECT_EQ(tensor_core_alignment(c, memory, memory, memory), TensorCoreAlignment::kAligned16Bytes);
  EXPECT_EQ(tensor_core_alignment(c, memory + 2, memory, memory), TensorCoreAlignment::kUnaligned);
  g.lda_elems = 68;  // 136 bytes: 8-byte multiple
  EXPECT_EQ(to_column_major(g).stride_alignment_bytes, 8);
  g.lda_elems = 65;  // 130 bytes
  EXPECT_EQ(to_column_major(g).stride_alignment_bytes, 2);
}

// ---------------------------------------------------------------------------------------
// Every GEMM the model issues (runtime/model/transformer.cc, layers.cc), with the dims of
// configs/train/passkey_cpu.yaml and of ModelConfig's defaults.

struct ModelDims {
  const char* name;
  std::int64_t d_model, q_features, kv_features, mlp_hidden, vocab;
};

// passkey_cpu.yaml: d 64, 4 heads × 16, kv_heads 4 (default), mlp 128, vocab 256.
// ModelConfig defaults with GQA: mlp 172 (not a multiple of 8), kv_heads 2 → 32 features.
constexpr ModelDims kModels[] = {{"passkey", 64, 64, 64, 128, 256}, {"default_gqa", 64, 64, 32, 172, 256}};

struct Linear {
  const char* name;
  std::int64_t in, out;
  float forward_beta;  // wo and w2 add into the residual stream (beta 1)
};

std::vector<Linear> linears(const ModelDims& d) {
  return {{"wq", d.d_model, d.q_features, 0.0f},  {"wk", d.d_model, d.kv_features, 0.0f},
          {"wv", d.d_model, d.kv_features, 0.0f}, {"wo", d.q_features, d.d_model, 1.0f},
          {"w1", d.d_model, d.mlp_hidden, 0.0f},  {"w3", d.d_model, d.mlp_hidden, 0.0f},
          {"w2", d.mlp_hidden, d.d_model, 1.0f},  {"lm_head", d.d_model, d.vocab, 0.0f}};
}

// The three GEMMs of one linear layer on `tokens` rows (layers.cc):
//   forward  y = x·Wᵀ           (y in the activation type; beta 1 into the residual for wo, w2)
//   backward dx = dy·W          (beta 1 where gradients of q, k, v / w1, w3 add up)
//            dW += dyᵀ·x        (fp32 gradient accumulator, beta 1)
std::vector<GemmCase> linear_cases(const ModelDims& d, const Linear& l, std::int64_t tokens, ElementType in,
                                   ElementType activation_out) {
  const std::string base = std::string(d.name) + "." + l.name + ".tokens" + std::to_string(tokens);
  return {
      {base + ".forward", Transpose::kNo, Transpose::kYes, tokens, l.out, l.in, in, activation_out, 1.0f,
       l.forward_beta},
      {base + ".backward_dx", Transpose::kNo, Transpose::kNo, tokens, l.in, l.out, in, activation_out, 1.0f, 1.0f},
      {base + ".backward_dw", Transpose::kYes, Transpose::kNo, l.out, l.in, tokens, in, ElementType::kF32, 1.0f, 1.0f},
  };
}

// Tokens per rank: batch 8 × seq 512 over sp = 4 ranks (1024); a ragged shard (77).
TEST(DeviceGemmModel, EveryLinearLayerGemmF32) {
  RatioReport report{"linear layers f32"};
  for (const ModelDims& d : kModels)
    for (const Linear& l : linears(d))
      for (std::int64_t tokens : {1024, 77})
        for (const GemmCase& c : linear_cases(d, l, tokens, ElementType::kF32, ElementType::kF32))
          report.add(check_case(c));
}

TEST(DeviceGemmModel, EveryLinearLayerGemmBf16) {
  RatioReport report{"linear layers bf16"};
  for (const ModelDims& d : kModels)
    for (const Linear& l : linears(d))
      for (std::int64_t tokens : {1024, 77})
        for (const GemmCase& c : linear_cases(d, l, tokens, ElementType::kBF16, ElementType::kBF16))
          report.add(check_case(c));
}

TEST(DeviceGemmModel, LogitsHeadAtFullBatchBf16InF32Out) {
  // sp = 1: all 8 × 512 tokens on one rank; logits and their gradient in f32.
  const ModelDims& d = kModels[0];
  for (const GemmCase& c : linear_cases(d, linears(d).back(), 4096, ElementType::kBF16, ElementType::kF32))
    check_case(c);
}

TEST(DeviceGemmModel, AttentionPerHeadBatched) {
  // Per-head products of attention on [L, H, D] tensors without copying a head out:
  // S_h = Q_h·K_hᵀ (Q, K: [L, H, D], stride D, ld H·D; S: [L, H, L]) and O_h = P_h·V_h
  // (P: [L, H, L], V and O: [L, H, D], O's ld padded).
  const std::int64_t heads = 4, head_dim = 16;
  for (std::int64_t len : {128, 77}) {
    GemmCase s{"attention.scores.len" + std::to_string(len), Transpose::kNo, Transpose::kYes, len, len, head_dim,
               ElementType::kBF16, ElementType::kF32, 0.25f, 0.0f, heads, BatchLayout::kInterleavedHeads};
    check_case(s);
    GemmCase o{"attention.pv.len" + std::to_string(len), Transpose::kNo, Transpose::kNo, len, head_dim, len,
               ElementType::kBF16, ElementType::kBF16, 1.0f, 0.0f, heads, BatchLayout::kInterleavedHeads,
               Padding::kPadded};
    check_case(o);
  }
}

TEST(DeviceGemmModel, SequencesBatchedWithSharedWeight) {
  // y_b = x_b·Wᵀ for 8 sequences of 61 tokens with one W (stride 0), and dx_b = dy_b·W.
  check_case({"batched.forward", Transpose::kNo, Transpose::kYes, 61, 172, 64, ElementType::kBF16, ElementType::kBF16,
              1.0f, 0.0f, 8, BatchLayout::kSharedB});
  check_case({"batched.backward_dx", Transpose::kNo, Transpose::kNo, 61, 64, 172, ElementType::kF32,
              ElementType::kF32, 1.0f, 1.0f, 8, BatchLayout::kSharedB, Padding::kPadded});
}

// ---------------------------------------------------------------------------------------
// Odd shapes: every transpose pair, m/n/k = 1, sizes not multiples of 8, padded leading
// dimensions, alpha and beta other than 0 and 1, every type combination cuBLAS takes.

TEST(DeviceGemmOdd, EveryTransposeTypeAndOddSize) {
  RatioReport report{"odd shapes, every type"};
  const std::int64_t sizes[][3] = {{1, 1, 1}, {1, 64, 64}, {64, 1, 64}, {64, 64, 1}, {7, 13, 5}, {63, 77, 129}, {3, 1, 300}};
  const std::pair<ElementType, ElementType> types[] = {{ElementType::kF32, ElementType::kF32},
                                                       {ElementType::kBF16, ElementType::kBF16},
                                                       {ElementType::kBF16, ElementType::kF32},
                                                       {ElementType::kF16, ElementType::kF16},
                                                       {ElementType::kF16, ElementType::kF32}};
  std::uint32_t seed = 10;
  for (const auto& s : sizes)
    for (Transpose ta : {Transpose::kNo, Transpose::kYes})
      for (Transpose tb : {Transpose::kNo, Transpose::kYes})
        for (const auto& [in, out] : types)
          for (Padding pad : {Padding::kDense, Padding::kPadded}) {
            GemmCase c{"odd", ta, tb, s[0], s[1], s[2], in, out, -0.75f, pad == Padding::kPadded ? 0.5f : 0.0f};
            c.padding = pad;
            report.add(check_case(c, ++seed));
          }
}

TEST(DeviceGemmOdd, BatchedEveryTranspose) {
  for (Transpose ta : {Transpose::kNo, Transpose::kYes})
    for (Transpose tb : {Transpose::kNo, Transpose::kYes})
      for (BatchLayout layout : {BatchLayout::kConsecutive, BatchLayout::kSharedB, BatchLayout::kInterleavedHeads}) {
        GemmCase c{"batched", ta, tb, 9, 11, 13, ElementType::kBF16, ElementType::kF32, 1.5f, -1.0f, 5, layout,
                   Padding::kPadded};
        check_case(c);
      }
}

TEST(DeviceGemmOdd, DegenerateSizes) {
  // k = 0: C = beta·C exactly; m or n = 0 and batch 0: nothing is touched.
  check_case({"k0", Transpose::kNo, Transpose::kNo, 5, 7, 0, ElementType::kF32, ElementType::kF32, 1.0f, 0.5f});
  check_case({"k0_beta0", Transpose::kYes, Transpose::kYes, 5, 7, 0, ElementType::kBF16, ElementType::kBF16, 1.0f, 0.0f});
  check_case({"m0", Transpose::kNo, Transpose::kNo, 0, 7, 3, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 1,
              BatchLayout::kConsecutive, Padding::kPadded});
  check_case({"n0", Transpose::kNo, Transpose::kNo, 7, 0, 3, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 1,
              BatchLayout::kConsecutive, Padding::kPadded});
  check_case({"batch0", Transpose::kNo, Transpose::kNo, 4, 4, 4, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 0});
}

// The comparison has teeth: a mapping with one argument wrong fails it by far.
TEST(DeviceGemmOdd, AWrongMappingIsCaught) {
  const GemmCase tc{"wrong", Transpose::kNo, Transpose::kYes, 24, 24, 24, ElementType::kF32, ElementType::kF32};
  const auto run_wrong = [&](auto corrupt) {
    Operands o = make_operands(tc, 7);
    ColumnMajorGemm call = to_column_major(o.g);
    corrupt(call);
    HostColumnMajorGemm gemm;
    gemm.run(call, tc.alpha, o.b.bytes.data(), o.a.bytes.data(), tc.beta, o.c.bytes.data());
    return compare(tc, o).max_ratio;
  };
  EXPECT_LE(run_wrong([](ColumnMajorGemm&) {}), 1.0);  // unchanged, it passes
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.transa = BlasOp::kN; }), 1e3) << "transa flipped";
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.transb = BlasOp::kT; }), 1e3) << "transb flipped";
  EXPECT_GT(run_wrong([](ColumnMajorGemm& c) { c.k = 23; }), 1e3) << "one term of k left out";
  // Operands in row-major order instead of cuBLAS's (A first): also far off.
  Operands o = make_operands(tc, 7);
  const ColumnMajorGemm call = to_column_major(o.g);
  HostColumnMajorGemm gemm;
  gemm.run(call, tc.alpha, o.a.bytes.data(), o.b.bytes.data(), tc.beta, o.c.bytes.data());
  EXPECT_GT(compare(tc, o).max_ratio, 1e3) << "A and B swapped";
}

// ---------------------------------------------------------------------------------------
// Descriptions cuBLAS would refuse, or that it would silently truncate, are rejected with
// a message that names the argument.

template <typename Error>
void expect_error(const RowMajorGemm& g, const std::string& fragment) {
  try {
    (void)to_column_major(g);
    ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

RowMajorGemm valid_gemm() {
  RowMajorGemm g;
  g.m = 8;
  g.n = 16;
  g.k = 4;
  g.lda_elems = 4;
  g.ldb_elems = 16;
  g.ldc_elems = 16;
  return g;
}

TEST(CublasMappingRejects, LeadingDimensionsShorterThanARow) {
  RowMajorGemm g = valid_gemm();
  g.lda_elems = 3;
  expect_error<InternalError>(g, "the row stride of A (lda_elems) is shorter than its rows (8 x 4");
  g = valid_gemm();
  g.trans_b = Transpose::kYes;  // B is now 16 × 4 stored
  g.ldb_elems = 3;
  expect_error<InternalError>(g, "the row stride of B (ldb_elems) is shorter than its rows (16 x 4, trans_b T)");
  g = valid_gemm();
  g.ldc_elems = 15;
  expect_error<InternalError>(g, "the row stride of C (ldc_elems)");
}

TEST(CublasMappingRejects, SizesBeyondInt32) {
  const std::int64_t big = std::int64_t{1} << 31;  // INT32_MAX + 1
  RowMajorGemm g = valid_gemm();
  g.m = big;
  expect_error<UsageError>(g, "m (rows of C) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.k = big;
  g.lda_elems = big;
  g.trans_b = Transpose::kYes;
  g.ldb_elems = big;
  expect_error<UsageError>(g, "k (the inner dimension) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.ldc_elems = big;
  expect_error<UsageError>(g, "ldc_elems (the row stride of C) exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.batch_count = big;
  g.stride_a_elems = 32;
  g.stride_b_elems = 64;
  g.stride_c_elems = 128;
  expect_error<UsageError>(g, "batch_count exceeds cuBLAS's int32 arguments");
  g = valid_gemm();
  g.m = std::int64_t{1} << 30;
  g.ldc_elems = std::int64_t{1} << 31 >> 1;
  g.batch_count = 1 << 20;
  g.stride_c_elems = std::int64_t{1} << 60;
  expect_error<UsageError>(g, "exceed int64 offsets");
  // Exactly INT32_MAX is fine (no data is touched by the mapping).
  g = valid_gemm();
  g.m = std::numeric_limits<std::int32_t>::max();
  EXPECT_EQ(to_column_major(g).n, std::numeric_limits<std::int32_t>::max());
}

TEST(CublasMappingRejects, NegativeSizesOverlapsAndTypes) {
  RowMajorGemm g = valid_gemm();
  g.k = -1;
  expect_error<InternalError>(g, "k (the inner dimension)");
  g = valid_gemm();
  g.batch_count = 2;
  g.stride_a_elems = 32;
  g.stride_b_elems = 0;
  g.stride_c_elems = 100;  // C spans 7·16 + 16 = 128 elements
  expect_error<InternalError>(g, "the 2 output matrices overlap");
  g.stride_c_elems = 0;
  expect_error<InternalError>(g, "the 2 output matrices overlap");
  g.stride_c_elems = -128;
  expect_error<InternalError>(g, "the batch stride of C");
  g = valid_gemm();
  g.a_type = ElementType::kF32;
  g.b_type = ElementType::kBF16;
  expect_error<InternalError>(g, "A is f32 but B is bf16; cublasGemmEx with CUBLAS_COMPUTE_32F takes both of one type");
  g = valid_gemm();
  g.c_type = ElementType::kBF16;
  expect_error<InternalError>(g, "C is bf16 with f32 inputs");
  g = valid_gemm();
  g.a_type = g.b_type = ElementType::kBF16;
  g.c_type = ElementType::kF16;
  expect_error<InternalError>(g, "C is f16 with bf16 inputs");
}

TEST(CublasMappingRejects, CallsCublasWouldRefuseAndMisalignedPointers) {
  ColumnMajorGemm call = to_column_major(valid_gemm());  // m 16, n 8, k 4, lda 16, ldb 4
  call.lda = 15;
  try {
    validate(call);
    ADD_FAILURE() << "lda 15 < m 16 accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("lda >= max(1, rows of A as stored)"), std::string::npos) << e.what();
  }
  // A bf16 operand at an odd byte address.
  RowMajorGemm g = valid_gemm();
  g.a_type = g.b_type = ElementType::kBF16;
  Buffer a(ElementType::kBF16, 32), b(ElementType::kBF16, 64), c(ElementType::kF32, 128);
  HostColumnMajorGemm gemm;
  try {
    gemm.multiply(g, 1.0f, a.bytes.data() + 1, b.bytes.data(), 0.0f, c.bytes.data());
    ADD_FAILURE() << "misaligned A accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("B is not aligned to its element size (bf16)"), std::string::npos)
        << "row-major A is cuBLAS's B: " << e.what();
  }
  EXPECT_THROW(gemm.multiply(g, 1.0f, a.bytes.data(), b.bytes.data(), 0.0f, nullptr), InternalError);
}

}  // namespace
}  // namespace ra::gemm

#include "tests/cuda_host/gemm_cases.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ra::gemm::cases {
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

// γ(n) = n·u / (1 − n·u): the relative error bound of n roundings with unit roundoff u.
double gamma(std::int64_t n, double u) {
  const double nu = static_cast<double>(n) * u;
  return nu / (1.0 - nu);
}

}  // namespace

std::string describe(const GemmCase& c) {
  std::ostringstream os;
  os << c.name << " [" << (c.trans_a == Transpose::kYes ? "T" : "N") << (c.trans_b == Transpose::kYes ? "T" : "N")
     << " m=" << c.m << " n=" << c.n << " k=" << c.k << " batch=" << c.batch_count << " "
     << element_type_name(c.in_type) << "->" << element_type_name(c.c_type) << " alpha=" << c.alpha
     << " beta=" << c.beta << (c.padding == Padding::kPadded ? " padded" : "") << "]";
  return os.str();
}

Operands make_operands(const GemmCase& tc) {
  RowMajorGemm g;
  g.trans_a = tc.trans_a;
  g.trans_b = tc.trans_b;
  g.m = tc.m;
  g.n = tc.n;
  g.k = tc.k;
  g.batch_count = tc.batch_count;
  g.a_type = g.b_type = tc.in_type;
  g.c_type = tc.c_type;
  const bool a_plain = tc.trans_a == Transpose::kNo, b_plain = tc.trans_b == Transpose::kNo;
  const std::int64_t a_rows = a_plain ? tc.m : tc.k, a_cols = a_plain ? tc.k : tc.m;
  const std::int64_t b_rows = b_plain ? tc.k : tc.n, b_cols = b_plain ? tc.n : tc.k;
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
  Operands o{g,
             a_rows,
             a_cols,
             b_rows,
             b_cols,
             Buffer(tc.in_type, a_elems),
             Buffer(tc.in_type, b_elems),
             Buffer(tc.c_type, c_elems),
             {}};
  std::mt19937 rng(tc.seed);
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

// The row-major reference in f64 on the unrounded values, and the bound of the header.

Comparison compare(const GemmCase& tc, const Operands& o, Accumulation accumulation) {
  const RowMajorGemm& g = o.g;
  const double u_in = tc.in_type == ElementType::kF32 ? 0.0 : unit_roundoff(tc.in_type);
  const double u_out = tc.c_type == ElementType::kF32 ? 0.0 : unit_roundoff(tc.c_type);
  const double input_term = 2 * u_in + u_in * u_in;
  const double u_acc = std::ldexp(1.0, accumulation == Accumulation::kRoundToNearest ? -24 : -23);
  const double accumulation_term = gamma(tc.k + 2, u_acc) * (1 + u_in) * (1 + u_in);
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
                             : bound > 0      ? err / bound
                             : err == 0       ? 0.0
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

namespace {

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
//   backward dx = dy·W          (beta 1: the gradients of q, k, v and of w1, w3 add up)
//            dW += dyᵀ·x        (an fp32 gradient accumulator, beta 1)
void add_linear(std::vector<GemmCase>& out, const ModelDims& d, const Linear& l, std::int64_t tokens, ElementType in,
                ElementType activation_out) {
  const std::string base = std::string(d.name) + "." + l.name + ".tokens" + std::to_string(tokens);
  out.push_back({base + ".forward", Transpose::kNo, Transpose::kYes, tokens, l.out, l.in, in, activation_out, 1.0f,
                 l.forward_beta});
  out.push_back(
      {base + ".backward_dx", Transpose::kNo, Transpose::kNo, tokens, l.in, l.out, in, activation_out, 1.0f, 1.0f});
  out.push_back(
      {base + ".backward_dw", Transpose::kYes, Transpose::kNo, l.out, l.in, tokens, in, ElementType::kF32, 1.0f, 1.0f});
}

}  // namespace

std::vector<CaseGroup> model_cases() {
  std::vector<CaseGroup> groups;
  // Tokens per rank: batch 8 × seq 512 over sp = 4 ranks (1024); a ragged shard (77).
  for (const auto& [in, name] :
       {std::pair{ElementType::kF32, "linear layers f32"}, std::pair{ElementType::kBF16, "linear layers bf16"}}) {
    CaseGroup g{name, {}};
    for (const ModelDims& d : kModels)
      for (const Linear& l : linears(d))
        for (std::int64_t tokens : {1024, 77}) add_linear(g.cases, d, l, tokens, in, in);
    groups.push_back(std::move(g));
  }
  // sp = 1: all 8 × 512 tokens on one rank; logits and their gradient in f32.
  CaseGroup head{"logits head, 4096 tokens, bf16 -> f32", {}};
  add_linear(head.cases, kModels[0], linears(kModels[0]).back(), 4096, ElementType::kBF16, ElementType::kF32);
  groups.push_back(std::move(head));
  // Per-head products of attention on [L, H, D] tensors without copying a head out:
  // S_h = Q_h·K_hᵀ (Q, K: [L, H, D], stride D, ld H·D; S: [L, H, L]) and O_h = P_h·V_h
  // (P: [L, H, L], V and O: [L, H, D], O's ld padded).
  CaseGroup attention{"attention per head, strided batches", {}};
  const std::int64_t heads = 4, head_dim = 16;
  for (std::int64_t len : {128, 77}) {
    attention.cases.push_back({"attention.scores.len" + std::to_string(len), Transpose::kNo, Transpose::kYes, len, len,
                               head_dim, ElementType::kBF16, ElementType::kF32, 0.25f, 0.0f, heads,
                               BatchLayout::kInterleavedHeads});
    attention.cases.push_back({"attention.pv.len" + std::to_string(len), Transpose::kNo, Transpose::kNo, len, head_dim,
                               len, ElementType::kBF16, ElementType::kBF16, 1.0f, 0.0f, heads,
                               BatchLayout::kInterleavedHeads, Padding::kPadded});
  }
  groups.push_back(std::move(attention));
  // y_b = x_b·Wᵀ for 8 sequences of 61 tokens with one W (stride 0), and dx_b = dy_b·W.
  groups.push_back({"sequences batched with one weight",
                    {{"batched.forward", Transpose::kNo, Transpose::kYes, 61, 172, 64, ElementType::kBF16,
                      ElementType::kBF16, 1.0f, 0.0f, 8, BatchLayout::kSharedB},
                     {"batched.backward_dx", Transpose::kNo, Transpose::kNo, 61, 64, 172, ElementType::kF32,
                      ElementType::kF32, 1.0f, 1.0f, 8, BatchLayout::kSharedB, Padding::kPadded}}});
  return groups;
}

std::vector<CaseGroup> odd_cases() {
  std::vector<CaseGroup> groups;
  const std::int64_t sizes[][3] = {{1, 1, 1},  {1, 64, 64},   {64, 1, 64}, {64, 64, 1},
                                   {7, 13, 5}, {63, 77, 129}, {3, 1, 300}};
  const std::pair<ElementType, ElementType> types[] = {{ElementType::kF32, ElementType::kF32},
                                                       {ElementType::kBF16, ElementType::kBF16},
                                                       {ElementType::kBF16, ElementType::kF32},
                                                       {ElementType::kF16, ElementType::kF16},
                                                       {ElementType::kF16, ElementType::kF32}};
  CaseGroup odd{"odd shapes, every transpose and type", {}};
  std::uint32_t seed = 10;
  for (const auto& s : sizes)
    for (Transpose ta : {Transpose::kNo, Transpose::kYes})
      for (Transpose tb : {Transpose::kNo, Transpose::kYes})
        for (const auto& [in, out] : types)
          for (Padding pad : {Padding::kDense, Padding::kPadded}) {
            GemmCase c{"odd", ta, tb, s[0], s[1], s[2], in, out, -0.75f, pad == Padding::kPadded ? 0.5f : 0.0f};
            c.padding = pad;
            c.seed = ++seed;
            odd.cases.push_back(c);
          }
  groups.push_back(std::move(odd));
  CaseGroup batched{"batched, every transpose and layout", {}};
  for (Transpose ta : {Transpose::kNo, Transpose::kYes})
    for (Transpose tb : {Transpose::kNo, Transpose::kYes})
      for (BatchLayout layout : {BatchLayout::kConsecutive, BatchLayout::kSharedB, BatchLayout::kInterleavedHeads})
        batched.cases.push_back({"batched", ta, tb, 9, 11, 13, ElementType::kBF16, ElementType::kF32, 1.5f, -1.0f, 5,
                                 layout, Padding::kPadded});
  groups.push_back(std::move(batched));
  // k = 0: C = beta·C exactly; m or n = 0 and batch 0: nothing is touched.
  groups.push_back(
      {"degenerate sizes",
       {{"k0", Transpose::kNo, Transpose::kNo, 5, 7, 0, ElementType::kF32, ElementType::kF32, 1.0f, 0.5f},
        {"k0_beta0", Transpose::kYes, Transpose::kYes, 5, 7, 0, ElementType::kBF16, ElementType::kBF16, 1.0f, 0.0f},
        {"m0", Transpose::kNo, Transpose::kNo, 0, 7, 3, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 1,
         BatchLayout::kConsecutive, Padding::kPadded},
        {"n0", Transpose::kNo, Transpose::kNo, 7, 0, 3, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 1,
         BatchLayout::kConsecutive, Padding::kPadded},
        {"batch0", Transpose::kNo, Transpose::kNo, 4, 4, 4, ElementType::kF32, ElementType::kF32, 1.0f, 1.0f, 0}}});
  return groups;
}

}  // namespace ra::gemm::cases

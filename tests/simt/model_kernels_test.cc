// The model's CUDA training kernels (kernels/cuda/model) under the SIMT emulator, through
// the emulator's ModelKernels table, against the CPU layers (runtime/model/layers.h,
// rope.h) and optimizer (runtime/train/optimizer.h) on random inputs and edge shapes:
// one row, row lengths that are not a multiple of the block, every cross-entropy row
// ignored, a vocabulary row hit by most tokens. f32 and bf16 storage.
//
// Tolerances (docs/numerics.md):
//  - Bitwise where the GPU does exactly the CPU's operations with no multiply-add that
//    could be fused on one side only: embedding forward/backward (copies and additions in
//    token order), residual add (one addition), bf16 conversions of those.
//  - The numerics policy elsewhere: max|gpu − ref64| ≤ 2·max|cpu_f32 − ref64| + floor,
//    ref64 the CPU layer in double on the same (storage-rounded) inputs, cpu_f32 the CPU
//    layer in float (its outputs rounded to bf16 like the kernels' when storage is bf16).
//    The CPU layers are built with the project's default contraction rules, so fused
//    multiply-adds may differ between the sides: no bitwise claim. Floors:
//      values without sums (RMSNorm y and r, RoPE, SwiGLU h, da, db): 1e-6·max(1,
//      max|ref64|), the output floor of tolerance.h;
//      gradients that are sums (RMSNorm dx and dg): 1e-7·max Σ|terms|, the first-order
//      bound of a reordered sum, as for attention's gradients;
//      bf16 outputs: + one bf16 ulp at max|ref64| (2⁻⁸·max|ref64|): the output is rounded
//      once, and fp32 values an ulp apart may round to neighbouring bf16 values.
//  - Cross-entropy: the CPU accumulates in double, so its float instance is no f32
//    baseline. The kernels' fp32 loss is held to its first-order error bound per row,
//    2·2⁻²³·(log₂V + 3 + |log s| + |lse| + |loss|) (the exp and the tree sum of s, the log,
//    the two subtractions), and dlogits to |scale| times that bound plus 2·cpu_f32's error.
//  - Sums (double): 1e-12 relative to Σ|terms|. AdamW: 8 f32 ulps of each update's
//    largest term (the CPU may fuse; the norm's summation order differs).
// On failure every check prints the max error, its index, both values and the bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/host/model_grid.h"
#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/cuda/portable.h"
#include "runtime/core/error.h"
#include "runtime/model/layers.h"
#include "runtime/model/params.h"
#include "runtime/model/rope.h"
#include "runtime/train/optimizer.h"
#include "tests/support/tolerance.h"

namespace ra::kernels::cuda {
namespace {

const ModelKernels& K() { return simt_model_kernels(); }

constexpr double kF32Ulp = 1.0 / (1 << 23);
constexpr double kBf16Ulp = 1.0 / (1 << 8);

float round_bf16(float x) { return __bfloat162float(__float2bfloat16(x)); }

std::vector<float> random_floats(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

std::vector<double> to_f64(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// A tensor in the kernels' storage type, filled from floats (rounded for bf16).
template <typename T>
struct Stored {
  std::vector<T> data;
  explicit Stored(const std::vector<float>& v) : data(v.size()) {
    for (std::size_t i = 0; i < v.size(); ++i) data[i] = convert(v[i]);
  }
  static T convert(float x) {
    if constexpr (std::is_same_v<T, float>)
      return x;
    else
      return __float2bfloat16(x);
  }
  std::vector<float> f32() const {
    std::vector<float> out(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
      if constexpr (std::is_same_v<T, float>)
        out[i] = data[i];
      else
        out[i] = __bfloat162float(data[i]);
    }
    return out;
  }
  void* ptr() { return data.data(); }
};

template <typename T>
constexpr ModelStorage storage_of() {
  return std::is_same_v<T, float> ? ModelStorage::kF32 : ModelStorage::kBf16;
}
template <typename T>
constexpr bool kIsBf16 = !std::is_same_v<T, float>;

// What cpu_f32 returns when the kernels store bf16: its output rounded once, like theirs.
template <typename T>
std::vector<float> as_stored(std::vector<float> v) {
  if constexpr (kIsBf16<T>)
    for (float& x : v) x = round_bf16(x);
  return v;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

::testing::AssertionResult policy(const std::string& what, const std::vector<float>& gpu,
                                  const std::vector<double>& ref64, const std::vector<float>& cpu32, double floor) {
  const testing::Comparison c = testing::compare_to_reference(gpu, ref64, cpu32, floor);
  if (c.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << testing::describe(what, c, {static_cast<std::int64_t>(gpu.size())}, gpu,
                                                            ref64);
}

// |gpu − ref| ≤ bound[i] element by element; on failure the worst element by error/bound.
::testing::AssertionResult within(const std::string& what, const std::vector<float>& gpu,
                                  const std::vector<double>& ref, const std::vector<double>& bound) {
  std::size_t at = 0;
  double worst = 0;
  bool ok = true;
  for (std::size_t i = 0; i < gpu.size(); ++i) {
    const double e = std::fabs(gpu[i] - ref[i]);
    if (!(e <= bound[i])) ok = false;
    const double r = std::isnan(e) ? INFINITY : e / std::max(bound[i], 1e-300);
    if (r > worst) worst = r, at = i;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": max error/bound " << worst << " at element " << at << " (gpu "
                                       << gpu[at] << " vs ref " << ref[at] << ", bound " << bound[at] << ")";
}

::testing::AssertionResult bitwise(const std::string& what, const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << what << ": sizes " << a.size() << " vs " << b.size();
  std::size_t differ = 0, at = 0;
  double worst = -1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(float)) == 0) continue;
    ++differ;
    const double e = std::isnan(a[i]) || std::isnan(b[i]) ? INFINITY : std::fabs(static_cast<double>(a[i]) - b[i]);
    if (e > worst) worst = e, at = i;
  }
  if (differ == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << differ << " of " << a.size() << " differ; max |diff| "
                                       << worst << " at element " << at << " (cpu " << a[at] << ", gpu " << b[at]
                                       << ")";
}

template <typename T>
class SimtModelKernels : public ::testing::Test {};
using StorageTypes = ::testing::Types<float, __nv_bfloat16>;
TYPED_TEST_SUITE(SimtModelKernels, StorageTypes);

// ---- embedding ---------------------------------------------------------------------------

struct EmbedShape {
  std::int64_t n, d, vocab;
};
// d = 70 and 300: not a multiple of the block (128, 256); 300 needs two column slices.
const EmbedShape kEmbedShapes[] = {{1, 1, 3}, {37, 70, 11}, {200, 300, 50}};

// Token ids with repeats; `hot` of them (a fraction in percent) are id 1.
std::vector<std::int32_t> random_tokens(std::int64_t n, std::int64_t vocab, int hot_percent, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> id(0, static_cast<std::int32_t>(vocab - 1));
  std::uniform_int_distribution<int> pct(0, 99);
  std::vector<std::int32_t> t(static_cast<std::size_t>(n));
  for (auto& x : t)
    x = pct(rng) < hot_percent ? std::min<std::int32_t>(1, static_cast<std::int32_t>(vocab - 1)) : id(rng);
  return t;
}

TYPED_TEST(SimtModelKernels, EmbeddingForwardCopiesRowsBitwise) {
  using T = TypeParam;
  for (const EmbedShape& s : kEmbedShapes) {
    const auto table = random_floats(static_cast<std::size_t>(s.vocab * s.d), -1, 1, 1);
    auto tokens = random_tokens(s.n, s.vocab, 30, 2);
    std::vector<float> y_cpu(static_cast<std::size_t>(s.n * s.d));
    model::embedding_forward(table.data(), tokens.data(), y_cpu.data(), s.n, s.d);
    Stored<T> y(std::vector<float>(y_cpu.size(), -7.0f));
    K().embedding_forward(storage_of<T>(), {table.data(), tokens.data(), y.ptr(), s.n, s.d, s.vocab}, nullptr);
    EXPECT_TRUE(bitwise("y", as_stored<T>(y_cpu), y.f32())) << s.n << "x" << s.d;
  }
  // An id outside the vocabulary gives a NaN row (the loss shows it), not a stray read.
  const auto table = random_floats(6, -1, 1, 3);
  std::vector<std::int32_t> tokens{0, 7, -1};
  Stored<T> y(std::vector<float>(6, 0.0f));
  K().embedding_forward(storage_of<T>(), {table.data(), tokens.data(), y.ptr(), 3, 2, 3}, nullptr);
  const auto yf = y.f32();
  EXPECT_EQ(yf[0], as_stored<T>({table[0]})[0]);
  for (int i = 2; i < 6; ++i) EXPECT_TRUE(std::isnan(yf[static_cast<std::size_t>(i)])) << i;
}

TYPED_TEST(SimtModelKernels, EmbeddingBackwardAddsInTokenOrderBitwise) {
  using T = TypeParam;
  for (const EmbedShape& s : kEmbedShapes) {
    for (int hot_percent : {0, 80}) {  // 80: one vocabulary row gets most tokens
      Stored<T> dy(random_floats(static_cast<std::size_t>(s.n * s.d), -1, 1, 4));
      const auto dyf = dy.f32();
      const auto tokens = random_tokens(s.n, s.vocab, hot_percent, 5);
      auto dtable_cpu = random_floats(static_cast<std::size_t>(s.vocab * s.d), -1, 1, 6);  // += into old values
      auto dtable_gpu = dtable_cpu;
      model::embedding_backward(tokens.data(), dyf.data(), dtable_cpu.data(), s.n, s.d);
      std::vector<std::int32_t> links(static_cast<std::size_t>(embedding_backward_workspace_elems(s.n)), 12345);
      K().embedding_backward(storage_of<T>(),
                             {tokens.data(), dy.ptr(), dtable_gpu.data(), links.data(), s.n, s.d, s.vocab}, nullptr);
      EXPECT_TRUE(bitwise("dtable", dtable_cpu, dtable_gpu)) << s.n << "x" << s.d << " hot " << hot_percent;
    }
  }
}

// ---- RMSNorm -----------------------------------------------------------------------------

struct RowsShape {
  std::int64_t n, d;
};
// One element; ragged d; d = 300 > 256 threads; 530 rows: 3 rows per partial block, the
// last block 2.
const RowsShape kNormShapes[] = {{1, 1}, {5, 70}, {3, 300}, {530, 20}};

template <typename T>
double storage_floor(const std::vector<double>& ref64) {
  return testing::output_floor(ref64) + (kIsBf16<T> ? kBf16Ulp * max_abs(ref64) : 0.0);
}

TYPED_TEST(SimtModelKernels, RmsNormForwardWithinPolicy) {
  using T = TypeParam;
  for (const RowsShape& s : kNormShapes) {
    const auto n = static_cast<std::size_t>(s.n), nd = static_cast<std::size_t>(s.n * s.d);
    Stored<T> x(random_floats(nd, -2, 2, 7));
    const auto xf = x.f32();
    const auto g = random_floats(static_cast<std::size_t>(s.d), 0.5f, 1.5f, 8);
    const float eps = 1e-5f;
    std::vector<float> y32(nd), r32(n);
    model::rmsnorm_forward(xf.data(), g.data(), y32.data(), r32.data(), s.n, s.d, eps);
    const auto x64 = to_f64(xf), g64 = to_f64(g);
    std::vector<double> y64(nd), r64(n);
    model::rmsnorm_forward(x64.data(), g64.data(), y64.data(), r64.data(), s.n, s.d, static_cast<double>(eps));
    Stored<T> y(std::vector<float>(nd, 0.0f));
    std::vector<float> r(n);
    K().rmsnorm_forward(storage_of<T>(), {x.ptr(), g.data(), y.ptr(), r.data(), s.n, s.d, eps}, nullptr);
    EXPECT_TRUE(policy("y", y.f32(), y64, as_stored<T>(y32), storage_floor<T>(y64))) << s.n << "x" << s.d;
    EXPECT_TRUE(policy("r", r, r64, r32, testing::output_floor(r64))) << s.n << "x" << s.d;
  }
}

TYPED_TEST(SimtModelKernels, RmsNormBackwardWithinPolicyDgWithoutAtomics) {
  using T = TypeParam;
  for (const RowsShape& s : kNormShapes) {
    const auto n = static_cast<std::size_t>(s.n), d = static_cast<std::size_t>(s.d), nd = n * d;
    Stored<T> x(random_floats(nd, -2, 2, 9));
    Stored<T> dy(random_floats(nd, -1, 1, 10));
    const auto xf = x.f32(), dyf = dy.f32();
    const auto g = random_floats(d, 0.5f, 1.5f, 11);
    std::vector<float> y_unused(nd), r(n);
    model::rmsnorm_forward(xf.data(), g.data(), y_unused.data(), r.data(), s.n, s.d, 1e-5f);
    const auto dx0 = random_floats(nd, -1, 1, 12), dg0 = random_floats(d, -1, 1, 13);
    // cpu_f32 and ref64 (the backward in double on the same inputs, r included).
    auto dx32 = dx0, dg32 = dg0;
    model::rmsnorm_backward(xf.data(), g.data(), r.data(), dyf.data(), dx32.data(), dg32.data(), s.n, s.d);
    auto dx64 = to_f64(dx0), dg64 = to_f64(dg0);
    const auto x64 = to_f64(xf), g64 = to_f64(g), r64 = to_f64(r), dy64 = to_f64(dyf);
    model::rmsnorm_backward(x64.data(), g64.data(), r64.data(), dy64.data(), dx64.data(), dg64.data(), s.n, s.d);
    // Σ|terms| of each gradient entry, for the floor.
    double dx_mag = 0, dg_mag = 0;
    std::vector<double> dg_terms(d);
    for (std::size_t i = 0; i < n; ++i) {
      double dot = 0;
      for (std::size_t c = 0; c < d; ++c) dot += std::fabs(x64[i * d + c] * g64[c] * dy64[i * d + c]);
      for (std::size_t c = 0; c < d; ++c) {
        const double ri = r64[i];
        dx_mag = std::max(dx_mag, std::fabs(dx0[i * d + c]) + std::fabs(ri * g64[c] * dy64[i * d + c]) +
                                      ri * ri * ri * dot / static_cast<double>(d) * std::fabs(x64[i * d + c]));
        dg_terms[c] += std::fabs(dy64[i * d + c] * x64[i * d + c] * ri);
      }
    }
    for (std::size_t c = 0; c < d; ++c) dg_mag = std::max(dg_mag, dg_terms[c] + std::fabs(dg0[c]));
    auto dx = dx0, dg = dg0;
    std::vector<float> partials(static_cast<std::size_t>(rmsnorm_backward_workspace_elems(s.n, s.d)), NAN);
    K().rmsnorm_backward(storage_of<T>(),
                         {x.ptr(), g.data(), r.data(), dy.ptr(), dx.data(), dg.data(), partials.data(), s.n, s.d},
                         nullptr);
    EXPECT_TRUE(policy("dx", dx, dx64, dx32, testing::kFloorRelGradMag * dx_mag)) << s.n << "x" << s.d;
    EXPECT_TRUE(policy("dg", dg, dg64, dg32, testing::kFloorRelGradMag * dg_mag)) << s.n << "x" << s.d;
  }
}

// ---- RoPE --------------------------------------------------------------------------------

TYPED_TEST(SimtModelKernels, RopeEveryScalingAndDirectionWithinPolicy) {
  using T = TypeParam;
  struct Case {
    std::int64_t n, heads, d;
  };
  const Case cases[] = {{1, 1, 4}, {7, 3, 10}, {33, 2, 64}};
  const std::pair<model::RopeScaling, RopeKernelScaling> modes[] = {
      {model::RopeScaling::kNone, RopeKernelScaling::kNone},
      {model::RopeScaling::kLinear, RopeKernelScaling::kLinear},
      {model::RopeScaling::kNtk, RopeKernelScaling::kNtk}};
  for (const Case& s : cases) {
    for (const auto& [cpu_mode, gpu_mode] : modes) {
      for (const auto direction : {model::RopeDirection::kForward, model::RopeDirection::kInverse}) {
        const auto nd = static_cast<std::size_t>(s.n * s.heads * s.d);
        Stored<T> x(random_floats(nd, -2, 2, 14));
        const auto xf = x.f32();
        std::vector<std::int32_t> pos(static_cast<std::size_t>(s.n));
        std::mt19937 rng(15);
        std::uniform_int_distribution<std::int32_t> p(0, 1 << 21);  // large: f32 angles would be off
        for (auto& q : pos) q = p(rng);
        const model::RopeOptions o{10000.0, cpu_mode, 4.0};
        auto y32 = xf;
        model::rope_apply(y32.data(), pos.data(), s.n, s.heads, s.d, o, direction);
        auto y64 = to_f64(xf);
        model::rope_apply(y64.data(), pos.data(), s.n, s.heads, s.d, o, direction);
        const RopeConstants rc = rope_constants(gpu_mode, o.base, o.factor, s.d);
        K().rope(storage_of<T>(),
                 {x.ptr(), pos.data(), s.n, s.heads, s.d, rc.effective_base, rc.position_scale,
                  direction == model::RopeDirection::kForward ? RopeKernelDirection::kForward
                                                              : RopeKernelDirection::kInverse},
                 nullptr);
        EXPECT_TRUE(policy("rope", x.f32(), y64, as_stored<T>(y32), storage_floor<T>(y64)))
            << s.n << "x" << s.heads << "x" << s.d << " mode " << static_cast<int>(gpu_mode) << " direction "
            << static_cast<int>(direction);
      }
    }
  }
}

// ---- SwiGLU, residual add, axpy ----------------------------------------------------------

const std::int64_t kElems[] = {1, 1000};  // 1000: not a multiple of the block

TYPED_TEST(SimtModelKernels, SwigluForwardAndBackwardWithinPolicy) {
  using T = TypeParam;
  for (const std::int64_t n : kElems) {
    const auto ne = static_cast<std::size_t>(n);
    Stored<T> a(random_floats(ne, -6, 6, 16)), b(random_floats(ne, -2, 2, 17)), dh(random_floats(ne, -1, 1, 18));
    const auto af = a.f32(), bf = b.f32(), dhf = dh.f32();
    const auto a64 = to_f64(af), b64 = to_f64(bf), dh64 = to_f64(dhf);
    std::vector<float> h32(ne), da32(ne), db32(ne);
    std::vector<double> h64(ne), da64(ne), db64(ne);
    model::swiglu_forward(af.data(), bf.data(), h32.data(), n);
    model::swiglu_forward(a64.data(), b64.data(), h64.data(), n);
    model::swiglu_backward(af.data(), bf.data(), dhf.data(), da32.data(), db32.data(), n);
    model::swiglu_backward(a64.data(), b64.data(), dh64.data(), da64.data(), db64.data(), n);
    Stored<T> h(std::vector<float>(ne, 0.0f)), da(h.f32()), db(h.f32());
    K().swiglu_forward(storage_of<T>(), {a.ptr(), b.ptr(), h.ptr(), n}, nullptr);
    K().swiglu_backward(storage_of<T>(), {a.ptr(), b.ptr(), dh.ptr(), da.ptr(), db.ptr(), n}, nullptr);
    EXPECT_TRUE(policy("h", h.f32(), h64, as_stored<T>(h32), storage_floor<T>(h64))) << n;
    EXPECT_TRUE(policy("da", da.f32(), da64, as_stored<T>(da32), storage_floor<T>(da64))) << n;
    EXPECT_TRUE(policy("db", db.f32(), db64, as_stored<T>(db32), storage_floor<T>(db64))) << n;
  }
}

TYPED_TEST(SimtModelKernels, ResidualAddIsOneRoundedAdditionAndAxpyOneFma) {
  using T = TypeParam;
  for (const std::int64_t n : kElems) {
    const auto ne = static_cast<std::size_t>(n);
    Stored<T> x(random_floats(ne, -3, 3, 19)), r(random_floats(ne, -3, 3, 20));
    const auto xf = x.f32(), rf = r.f32();
    std::vector<float> want(ne);
    for (std::size_t i = 0; i < ne; ++i) want[i] = xf[i] + rf[i];
    Stored<T> y(std::vector<float>(ne, 0.0f));
    K().residual_add(storage_of<T>(), {x.ptr(), r.ptr(), y.ptr(), n}, nullptr);
    EXPECT_TRUE(bitwise("x + r", as_stored<T>(want), y.f32())) << n;
    // In place: y = x + y.
    K().residual_add(storage_of<T>(), {x.ptr(), r.ptr(), r.ptr(), n}, nullptr);
    EXPECT_TRUE(bitwise("x + r in place", as_stored<T>(want), r.f32())) << n;

    // y += α·x: one product and one sum, each rounded once (or fused): ≤ 2 ulps of the terms.
    const float alpha = -0.37f;
    const auto y0 = random_floats(ne, -1, 1, 21);
    auto acc = y0;
    K().axpy(storage_of<T>(), {alpha, x.ptr(), acc.data(), n}, nullptr);
    std::vector<double> ref(ne), bound(ne);
    for (std::size_t i = 0; i < ne; ++i) {
      ref[i] = y0[i] + static_cast<double>(alpha) * xf[i];
      bound[i] = 2 * kF32Ulp * (std::fabs(y0[i]) + std::fabs(static_cast<double>(alpha) * xf[i]));
    }
    EXPECT_TRUE(within("axpy", acc, ref, bound)) << n;
  }
}

// ---- cross-entropy and the loss reduction --------------------------------------------------

struct CeShape {
  std::int64_t n, vocab;
  int ignored_percent;
};
// One row; vocab 1; vocab not a multiple of the block; every row ignored.
const CeShape kCeShapes[] = {{1, 5, 0}, {4, 1, 25}, {23, 1000, 30}, {6, 77, 100}};

TYPED_TEST(SimtModelKernels, CrossEntropyForwardBackwardAndLossSum) {
  using T = TypeParam;
  for (const CeShape& s : kCeShapes) {
    const auto n = static_cast<std::size_t>(s.n), v = static_cast<std::size_t>(s.vocab);
    Stored<T> logits(random_floats(n * v, -8, 8, 22));
    const auto lf = logits.f32();
    const auto l64 = to_f64(lf);
    std::vector<std::int32_t> targets(n);
    std::mt19937 rng(23);
    std::uniform_int_distribution<std::int32_t> id(0, static_cast<std::int32_t>(s.vocab - 1));
    std::uniform_int_distribution<int> pct(0, 99);
    for (auto& t : targets) t = pct(rng) < s.ignored_percent ? -1 : id(rng);
    if (s.ignored_percent == 0) targets[0] = 0;

    // Per-row reference losses (the CPU layer on one row at a time) and their fp32 bounds.
    std::vector<double> loss64(n, 0.0), loss_bound(n, 0.0);
    std::int64_t valid_cpu = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t one = 0;
      loss64[i] = model::cross_entropy_forward(l64.data() + i * v, targets.data() + i, 1, s.vocab, one);
      valid_cpu += one;
      if (targets[i] < 0) continue;
      const double m = *std::max_element(l64.begin() + static_cast<std::ptrdiff_t>(i * v),
                                         l64.begin() + static_cast<std::ptrdiff_t>((i + 1) * v));
      const double lse = loss64[i] + l64[i * v + static_cast<std::size_t>(targets[i])];
      loss_bound[i] =
          2 * kF32Ulp *
          (std::log2(static_cast<double>(s.vocab)) + 3 + std::fabs(lse - m) + std::fabs(lse) + std::fabs(loss64[i]));
    }
    std::int64_t valid_all = 0;
    const double total64 = model::cross_entropy_forward(l64.data(), targets.data(), s.n, s.vocab, valid_all);
    ASSERT_EQ(valid_all, valid_cpu);

    std::vector<float> row_loss(n, NAN), row_lse(n, NAN);
    K().cross_entropy_forward(storage_of<T>(),
                              {logits.ptr(), targets.data(), row_loss.data(), row_lse.data(), s.n, s.vocab}, nullptr);
    EXPECT_TRUE(within("row loss", row_loss, loss64, loss_bound)) << s.n << "x" << s.vocab;

    // The loss sum and valid-row count: the deterministic two-stage reduction.
    std::vector<double> partial_sums(static_cast<std::size_t>(reduce_workspace_elems(s.n)));
    std::vector<std::int64_t> partial_counts(partial_sums.size());
    DeviceSum sum{NAN, -1};
    K().sum_reduce(
        {row_loss.data(), targets.data(), partial_sums.data(), partial_counts.data(), &sum, s.n, ReduceTerm::kValue},
        nullptr);
    double total_bound = 0;
    for (double b : loss_bound) total_bound += b;
    EXPECT_EQ(sum.count, valid_cpu) << s.n << "x" << s.vocab;
    EXPECT_LE(std::fabs(sum.sum - total64), total_bound) << "loss sum " << sum.sum << " vs " << total64;
    if (valid_cpu == 0) {
      EXPECT_EQ(sum.sum, 0.0);
    }

    // Backward with a scale, from the forward's lse.
    const float scale = valid_cpu > 0 ? 1.0f / static_cast<float>(valid_cpu) : 1.0f;
    std::vector<float> d32(n * v);
    std::vector<double> d64(n * v), dbound(n * v);
    model::cross_entropy_backward(lf.data(), targets.data(), d32.data(), s.n, s.vocab, scale);
    model::cross_entropy_backward(l64.data(), targets.data(), d64.data(), s.n, s.vocab, static_cast<double>(scale));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < v; ++c) {
        const double cpu_err = std::fabs(d32[i * v + c] - d64[i * v + c]);
        dbound[i * v + c] =
            2 * cpu_err + scale * loss_bound[i] + (kIsBf16<T> ? kBf16Ulp * std::fabs(d64[i * v + c]) : 0.0) + 1e-30;
      }
    Stored<T> dl(std::vector<float>(n * v, NAN));
    K().cross_entropy_backward(storage_of<T>(),
                               {logits.ptr(), targets.data(), row_lse.data(), dl.ptr(), s.n, s.vocab, scale}, nullptr);
    const auto dlf = dl.f32();
    EXPECT_TRUE(within("dlogits", dlf, d64, dbound)) << s.n << "x" << s.vocab;
    for (std::size_t i = 0; i < n; ++i) {
      if (targets[i] >= 0) continue;
      for (std::size_t c = 0; c < v; ++c) {
        ASSERT_EQ(dlf[i * v + c], 0.0f) << "ignored row " << i << " must be 0";
      }
    }
  }
}

// ---- sums ----------------------------------------------------------------------------------

TEST(SimtModelReduce, SumOfSquaresIsDeterministicAndExactToDoubleRounding) {
  for (const std::int64_t n : {std::int64_t{0}, std::int64_t{1}, std::int64_t{1025}, std::int64_t{40000}}) {
    const auto x = random_floats(static_cast<std::size_t>(n), -3, 3, 24);
    double ref = 0;  // every term is ≥ 0: the sum is its own Σ|terms|
    for (float v : x) ref += static_cast<double>(v) * v;
    const double mag = ref;
    std::vector<double> partial_sums(static_cast<std::size_t>(reduce_workspace_elems(n)));
    std::vector<std::int64_t> partial_counts(partial_sums.size());
    DeviceSum first{NAN, -1};
    K().sum_reduce({x.data(), nullptr, partial_sums.data(), partial_counts.data(), &first, n, ReduceTerm::kSquare},
                   nullptr);
    EXPECT_EQ(first.count, n);
    EXPECT_LE(std::fabs(first.sum - ref), 1e-12 * mag) << n;
    // Another thread order (emulator seed) gives the same bits: the order is the grid's.
    simt::EmulatorOptions o = simt::options();
    const simt::EmulatorOptions saved = o;
    o.seed = 99;
    simt::set_options(o);
    DeviceSum second{NAN, -1};
    K().sum_reduce({x.data(), nullptr, partial_sums.data(), partial_counts.data(), &second, n, ReduceTerm::kSquare},
                   nullptr);
    simt::set_options(saved);
    EXPECT_EQ(std::memcmp(&first.sum, &second.sum, sizeof(double)), 0) << n;
  }
}

// ---- AdamW ---------------------------------------------------------------------------------

struct AdamWCase {
  double grad_clip;
  float grad_spread;  // gradients in [−spread, spread]: large ones are clipped
  std::int64_t step;
};

TEST(SimtModelAdamW, ClipAndUpdateMatchTheCpuOptimizer) {
  model::ModelConfig mc;
  mc.vocab = 16, mc.d_model = 8, mc.layers = 1, mc.heads = 2, mc.kv_heads = 2, mc.head_dim = 4, mc.mlp_hidden = 12;
  const model::ParamLayout layout(mc);
  const auto n = layout.total_elems();
  const auto ne = static_cast<std::size_t>(n);
  // The decay mask the training code builds from the layout: matrices decay, vectors not.
  std::vector<std::uint8_t> decay(ne, 0);
  for (const model::ParamSlice& s : layout.slices())
    if (s.cols > 1) std::fill_n(decay.begin() + s.offset_elems, s.elems(), std::uint8_t{1});

  for (const AdamWCase& c : {AdamWCase{1.0, 1.0f, 0}, AdamWCase{0.0, 1.0f, 7}, AdamWCase{1e6, 0.01f, 3}}) {
    train::AdamWOptions o;
    o.grad_clip = c.grad_clip;
    train::AdamW cpu(o, layout);
    auto params = random_floats(ne, -0.1f, 0.1f, 25);
    auto grads = random_floats(ne, -c.grad_spread, c.grad_spread, 26);
    cpu.m() = random_floats(ne, -0.01f, 0.01f, 27);
    cpu.v() = random_floats(ne, 0.0f, 1e-4f, 28);
    const auto m0 = cpu.m(), v0 = cpu.v();
    auto p_gpu = params, m_gpu = m0, v_gpu = v0;
    const auto g_gpu = grads;
    const train::StepStats st = cpu.update(params, grads, c.step);

    std::vector<double> partial_sums(static_cast<std::size_t>(reduce_workspace_elems(n)));
    std::vector<std::int64_t> partial_counts(partial_sums.size());
    DeviceSum sumsq{};
    double norm = 0;
    float clip_scale = 0;
    K().sum_reduce({g_gpu.data(), nullptr, partial_sums.data(), partial_counts.data(), &sumsq, n, ReduceTerm::kSquare},
                   nullptr);
    K().clip_factor({&sumsq, c.grad_clip, &norm, &clip_scale}, nullptr);
    const AdamWScalars s =
        adamw_scalars({o.beta1, o.beta2, o.eps, o.weight_decay}, train::learning_rate(o, c.step), c.step);
    K().adamw_update({p_gpu.data(), g_gpu.data(), m_gpu.data(), v_gpu.data(), decay.data(), &clip_scale, n, s},
                     nullptr);

    EXPECT_NEAR(norm, st.grad_norm, 1e-12 * st.grad_norm);
    const bool clipped = c.grad_clip > 0 && st.grad_norm > c.grad_clip;
    EXPECT_EQ(clip_scale == 1.0f, !clipped) << "clip " << c.grad_clip << " norm " << st.grad_norm;
    // 8 f32 ulps of each update's terms (grads are the CPU's clipped ones; the old
    // parameter is the new one plus lr·update to first order).
    std::vector<double> pref(ne), mref(ne), vref(ne), pb(ne), mb(ne), vb(ne);
    for (std::size_t i = 0; i < ne; ++i) {
      pref[i] = params[i], mref[i] = cpu.m()[i], vref[i] = cpu.v()[i];
      const double ratio = std::fabs(cpu.m()[i] * s.bias_correction1) /
                           (std::sqrt(static_cast<double>(cpu.v()[i]) * s.bias_correction2) + o.eps);
      const double lr_term = st.lr * (ratio + (decay[i] ? o.weight_decay * std::fabs(params[i]) : 0.0));
      pb[i] = 8 * kF32Ulp * (std::fabs(params[i]) + 2 * lr_term);
      mb[i] = 8 * kF32Ulp * (std::fabs(m0[i]) + std::fabs(grads[i]));
      vb[i] = 8 * kF32Ulp * (std::fabs(v0[i]) + static_cast<double>(grads[i]) * grads[i]);
    }
    EXPECT_TRUE(within("params", p_gpu, pref, pb)) << "case clip " << c.grad_clip << " step " << c.step;
    EXPECT_TRUE(within("m", m_gpu, mref, mb)) << "case clip " << c.grad_clip << " step " << c.step;
    EXPECT_TRUE(within("v", v_gpu, vref, vb)) << "case clip " << c.grad_clip << " step " << c.step;
  }
}

TEST(SimtModelDispatch, UnknownStorageIsAUsageError) {
  float x = 0;
  EXPECT_THROW(K().residual_add(static_cast<ModelStorage>(9), {&x, &x, &x, 1}, nullptr), UsageError);
  EXPECT_STREQ(K().build, "simt");
}

}  // namespace
}  // namespace ra::kernels::cuda

// The CPU GEMM: f32 and bf16 through oneDNN's matmul primitive, f64 through OpenBLAS (gemm.h
// says why). The primitives live in a per-thread cache, so a call of the attention
// kernels' inner loop finds its primitive without a lock and without creating anything.
#include "kernels/gemm/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <functional>
#include <limits>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "kernels/gemm/openblas_core.h"
#include "runtime/core/check.h"

namespace ra::gemm {
namespace {

template <typename T>
std::int64_t op_rows(const RowMajor<T>& x, Transpose t) {
  return t == Transpose::kNo ? x.rows : x.cols;
}
template <typename T>
std::int64_t op_cols(const RowMajor<T>& x, Transpose t) {
  return t == Transpose::kNo ? x.cols : x.rows;
}

template <typename In, typename Out>
void check_shapes(const RowMajor<const In>& a, Transpose trans_a, const RowMajor<const In>& b, Transpose trans_b,
                  const RowMajor<Out>& c) {
  RA_CHECK_EQ(InternalError, op_rows(a, trans_a), c.rows, "GEMM: rows of op(A) and of C");
  RA_CHECK_EQ(InternalError, op_cols(b, trans_b), c.cols, "GEMM: columns of op(B) and of C");
  RA_CHECK_EQ(InternalError, op_cols(a, trans_a), op_rows(b, trans_b), "GEMM: the inner dimension of op(A) and op(B)");
  RA_CHECK_GE(InternalError, a.ld_elems, a.cols, "GEMM: the stride of A");
  RA_CHECK_GE(InternalError, b.ld_elems, b.cols, "GEMM: the stride of B");
  RA_CHECK_GE(InternalError, c.ld_elems, c.cols, "GEMM: the stride of C");
}

// C = beta · C without a product (k = 0 or alpha = 0). beta = 0 writes zeros without
// reading C, as BLAS does, so a NaN left in C does not survive.
template <typename T>
void scale_c(T beta, const RowMajor<T>& c) {
  if (beta == T(1)) return;
  for (std::int64_t r = 0; r < c.rows; ++r) {
    T* row = c.data + r * c.ld_elems;
    if (beta == T(0)) {
      std::fill(row, row + c.cols, T(0));
    } else {
      for (std::int64_t j = 0; j < c.cols; ++j) row[j] *= beta;
    }
  }
}

// ---- f32 and bf16: oneDNN ---------------------------------------------------------------

using dnnl::memory;

// Everything a matmul primitive is specialised for. alpha and beta are part of it
// because oneDNN bakes the output scale and the sum post-op into the kernel; the callers
// use a handful of values (1, 0 and the softmax scale), so the cache stays small.
struct MatmulKey {
  std::int64_t m, n, k, lda, ldb, ldc;
  Transpose trans_a, trans_b;
  std::uint32_t alpha_bits, beta_bits;
  memory::data_type input;  // of A and B (f32 or bf16); C is f32
  bool operator==(const MatmulKey&) const = default;
};

struct MatmulKeyHash {
  std::size_t operator()(const MatmulKey& key) const {
    std::size_t h = 0;
    const auto mix = [&h](std::uint64_t v) {
      h ^= std::hash<std::uint64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    };
    for (const std::int64_t v : {key.m, key.n, key.k, key.lda, key.ldb, key.ldc}) mix(static_cast<std::uint64_t>(v));
    mix(static_cast<std::uint64_t>(key.trans_a) << 1 | static_cast<std::uint64_t>(key.trans_b));
    mix(std::uint64_t{key.alpha_bits} << 32 | key.beta_bits);
    mix(static_cast<std::uint64_t>(key.input));
    return h;
  }
};

// A primitive with the memory objects of its three operands: a call only swaps their
// data pointers (set_data_handle) instead of building descriptors and an argument map.
// `native` is false for a bf16 key that oneDNN cannot serve or only with its reference
// (scalar) implementation, on a CPU below AVX-512: no primitive then, the call widens its
// operands and takes the f32 path.
struct Matmul {
  bool native = true;
  dnnl::matmul primitive;
  memory a, b, c;
  std::unordered_map<int, memory> args;
};

std::atomic<std::int64_t> g_primitives_created{0};

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// op(X) as oneDNN sees it: rows × cols with strides (row, column); a transposed view of
// a row-major matrix is the same memory with the strides swapped.
memory::desc op_desc(std::int64_t rows, std::int64_t cols, std::int64_t ld, Transpose t, memory::data_type type) {
  const memory::dims strides = t == Transpose::kNo ? memory::dims{ld, 1} : memory::dims{1, ld};
  return memory::desc({rows, cols}, type, strides);
}

Matmul create_matmul(const MatmulKey& key, float alpha, float beta) {
  const memory::desc a = op_desc(key.m, key.k, key.lda, key.trans_a, key.input);
  const memory::desc b = op_desc(key.k, key.n, key.ldb, key.trans_b, key.input);
  const memory::desc c = op_desc(key.m, key.n, key.ldc, Transpose::kNo, memory::data_type::f32);
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});  // applied before the post-ops
  if (beta != 0.0f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);  // dst = alpha · A·B + beta · dst
    attr.set_post_ops(ops);
  }
  dnnl::matmul::primitive_desc pd;
  try {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, cpu_engine());
  } catch (const dnnl::error& e) {
    // bf16 on a CPU below AVX-512: oneDNN 2.6 has no implementation at all there.
    if (key.input == memory::data_type::bf16 && e.status == dnnl_unimplemented)
      return Matmul{false, {}, {}, {}, {}, {}};
    throw;
  }
  if (key.input == memory::data_type::bf16 && std::string_view(pd.impl_info_str()).starts_with("ref"))
    return Matmul{false, {}, {}, {}, {}, {}};
  Matmul mm{true,
            dnnl::matmul(pd),
            memory(a, cpu_engine(), nullptr),
            memory(b, cpu_engine(), nullptr),
            memory(c, cpu_engine(), nullptr),
            {}};
  mm.args = {{DNNL_ARG_SRC, mm.a}, {DNNL_ARG_WEIGHTS, mm.b}, {DNNL_ARG_DST, mm.c}};
  g_primitives_created.fetch_add(1, std::memory_order_relaxed);
  return mm;
}

// One thread's primitives and stream. Per thread rather than shared: no lock on the hot
// path, and each thread's memory objects are its own to repoint. oneDNN's process-wide
// primitive cache makes a second thread's creation of the same primitive cheap.
class ThreadMatmuls {
 public:
  Matmul& get(const MatmulKey& key, float alpha, float beta) {
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
    // A bound, so a caller that cycles through ever new shapes cannot grow memory
    // without limit; the attention kernels and the model use a few dozen.
    if (cache_.size() >= kMaxEntries) cache_.clear();
    return cache_.emplace(key, create_matmul(key, alpha, beta)).first->second;
  }
  dnnl::stream& stream() { return stream_; }

 private:
  static constexpr std::size_t kMaxEntries = 512;
  dnnl::stream stream_{cpu_engine()};
  std::unordered_map<MatmulKey, Matmul, MatmulKeyHash> cache_;
};

ThreadMatmuls& thread_matmuls() {
  thread_local ThreadMatmuls matmuls;
  return matmuls;
}

// oneDNN (Debian's build uses OpenMP) runs a call on omp_get_max_threads() threads of the
// calling thread, and sizes a primitive's work split by it when the primitive is created.
// One thread, always: the callers parallelize over tiles themselves, the result does not
// depend on the core count, and a primitive runs with the thread count it was made for.
// The setting is per calling thread, so it is checked on every call (a read of a
// thread-local value).
void single_openmp_thread() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

template <typename T>
constexpr memory::data_type dnnl_type() {
  if constexpr (std::is_same_v<T, float>) {
    return memory::data_type::f32;
  } else {
    return memory::data_type::bf16;
  }
}

// The f32 and bf16 bodies. Returns false when the key has no native primitive (bf16 on a
// CPU without bf16 instructions); the caller then widens.
template <typename In>
bool multiply_dnnl(float alpha, const RowMajor<const In>& a, Transpose trans_a, const RowMajor<const In>& b,
                   Transpose trans_b, float beta, const RowMajor<float>& c, std::int64_t k) {
  single_openmp_thread();
  const MatmulKey key{c.rows,
                      c.cols,
                      k,
                      a.ld_elems,
                      b.ld_elems,
                      c.ld_elems,
                      trans_a,
                      trans_b,
                      std::bit_cast<std::uint32_t>(alpha),
                      std::bit_cast<std::uint32_t>(beta),
                      dnnl_type<In>()};
  try {
    ThreadMatmuls& matmuls = thread_matmuls();
    Matmul& mm = matmuls.get(key, alpha, beta);
    if (!mm.native) return false;
    // oneDNN's memory handle is non-const; the primitive only reads its SRC and WEIGHTS.
    mm.a.set_data_handle(const_cast<In*>(a.data));
    mm.b.set_data_handle(const_cast<In*>(b.data));
    mm.c.set_data_handle(c.data);
    mm.primitive.execute(matmuls.stream(), mm.args);
    matmuls.stream().wait();
  } catch (const dnnl::error& e) {
    RA_CHECK(InternalError, false, "oneDNN matmul ", c.rows, "x", c.cols, "x", k, " (lda ", a.ld_elems, ", ldb ",
             b.ld_elems, ", ldc ", c.ld_elems, "): ", e.what());
  }
  return true;
}

// A bf16 matrix widened to a dense f32 copy of the stored matrix (the transpose stays a
// flag): exact, every bf16 value is an f32 value.
RowMajor<const float> widen(const RowMajor<const bf16>& x, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(x.rows * x.cols));
  for (std::int64_t r = 0; r < x.rows; ++r)
    for (std::int64_t j = 0; j < x.cols; ++j)
      out[static_cast<std::size_t>(r * x.cols + j)] = to_float(x.data[r * x.ld_elems + j]);
  return dense<const float>(out.data(), x.rows, x.cols);
}

}  // namespace

void multiply(float alpha, RowMajor<const float> a, Transpose trans_a, RowMajor<const float> b, Transpose trans_b,
              float beta, RowMajor<float> c) {
  check_shapes(a, trans_a, b, trans_b, c);
  if (c.rows == 0 || c.cols == 0) return;
  const std::int64_t k = op_cols(a, trans_a);
  if (k == 0 || alpha == 0.0f) return scale_c(beta, c);
  multiply_dnnl(alpha, a, trans_a, b, trans_b, beta, c, k);
}

void multiply(float alpha, RowMajor<const bf16> a, Transpose trans_a, RowMajor<const bf16> b, Transpose trans_b,
              float beta, RowMajor<float> c) {
  check_shapes(a, trans_a, b, trans_b, c);
  if (c.rows == 0 || c.cols == 0) return;
  const std::int64_t k = op_cols(a, trans_a);
  if (k == 0 || alpha == 0.0f) return scale_c(beta, c);
  if (multiply_dnnl(alpha, a, trans_a, b, trans_b, beta, c, k)) return;
  thread_local std::vector<float> wide_a, wide_b;
  multiply(alpha, widen(a, wide_a), trans_a, widen(b, wide_b), trans_b, beta, c);
}

bool bf16_is_native() {
  // Decided once, on a tile-sized shape: oneDNN's choice for bf16 follows the CPU's
  // instructions, not the shape.
  static const bool native = [] {
    const std::vector<bf16> a(64 * 64), b(64 * 64);
    std::vector<float> c(64 * 64);
    return multiply_dnnl(1.0f, dense(a.data(), 64, 64), Transpose::kNo, dense(b.data(), 64, 64), Transpose::kNo, 0.0f,
                         dense(c.data(), 64, 64), 64);
  }();
  return native;
}

// ---- f64: OpenBLAS ----------------------------------------------------------------------

namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::kYes ? CblasTrans : CblasNoTrans; }

// OpenBLAS takes its sizes as blasint (32-bit in Debian's build): a larger size would
// wrap silently, so it is refused instead.
blasint to_blas(std::int64_t x) {
  RA_CHECK_LE(InternalError, x, std::int64_t{std::numeric_limits<blasint>::max()}, "a GEMM size beyond the BLAS's int");
  return static_cast<blasint>(x);
}

}  // namespace

void multiply(double alpha, RowMajor<const double> a, Transpose trans_a, RowMajor<const double> b, Transpose trans_b,
              double beta, RowMajor<double> c) {
  check_shapes(a, trans_a, b, trans_b, c);
  if (c.rows == 0 || c.cols == 0) return;
  const std::int64_t k = op_cols(a, trans_a);
  if (k == 0 || alpha == 0.0) return scale_c(beta, c);
  cblas_dgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), to_blas(c.rows), to_blas(c.cols), to_blas(k), alpha,
              a.data, to_blas(a.ld_elems), b.data, to_blas(b.ld_elems), beta, c.data, to_blas(c.ld_elems));
}

void ensure_single_threaded() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
  single_openmp_thread();
}

std::string startup_warning() { return openblas_core_warning(openblas_get_corename(), cpu_simd_level()); }

namespace {

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

}  // namespace

std::string backend_summary() {
  const dnnl_version_t* v = dnnl::version();
  return "f32: oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (" + isa_name(dnnl::get_effective_cpu_isa()) +
         "); bf16: " + (bf16_is_native() ? "oneDNN" : "widened to f32") + "; f64: OpenBLAS (" +
         openblas_get_corename() + ")";
}

std::int64_t primitives_created() { return g_primitives_created.load(std::memory_order_relaxed); }

}  // namespace ra::gemm

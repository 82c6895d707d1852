#include "kernels/gemm/host_column_major_gemm.h"

#include <cstddef>
#include <vector>

#include "runtime/core/dtype.h"

namespace ra::gemm {
namespace {

template <typename In, typename Out>
void execute_typed(const ColumnMajorGemm& call, float alpha, const In* a, const In* b, float beta, Out* c) {
  const std::int64_t m = call.m, n = call.n, k = call.k;
  // op(A) gathered as m rows of k floats and op(B) as n rows of k floats (its columns), so
  // each C element is one contiguous dot product. Column-major: element (r, s) of a matrix
  // with leading dimension ld is at r + s·ld; op(A)(i, p) is A(i, p) for N and A(p, i) for T.
  std::vector<float> op_a(static_cast<std::size_t>(m * k)), op_b(static_cast<std::size_t>(n * k));
  for (std::int64_t batch = 0; batch < call.batch_count; ++batch) {
    const In* ab = a + batch * call.stride_a_elems;
    const In* bb = b + batch * call.stride_b_elems;
    Out* cb = c + batch * call.stride_c_elems;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t p = 0; p < k; ++p)
        op_a[static_cast<std::size_t>(i * k + p)] =
            to_float(call.transa == BlasOp::kN ? ab[i + p * call.lda_elems] : ab[p + i * call.lda_elems]);
    // op(B)(p, j) is B(p, j) for N and B(j, p) for T.
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < k; ++p)
        op_b[static_cast<std::size_t>(j * k + p)] =
            to_float(call.transb == BlasOp::kN ? bb[p + j * call.ldb_elems] : bb[j + p * call.ldb_elems]);
    for (std::int64_t j = 0; j < n; ++j) {
      const float* bj = op_b.data() + j * k;
      for (std::int64_t i = 0; i < m; ++i) {
        const float* ai = op_a.data() + i * k;
        float acc = 0.0f;
        for (std::int64_t p = 0; p < k; ++p) acc += ai[p] * bj[p];
        Out& out = cb[i + j * call.ldc_elems];
        const float result = beta == 0.0f ? alpha * acc : alpha * acc + beta * to_float(out);
        out = from_float<Out>(result);
      }
    }
  }
}

template <typename In>
void execute_in(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta, void* c) {
  const auto* ta = static_cast<const In*>(a);
  const auto* tb = static_cast<const In*>(b);
  if (call.c_type == ElementType::kF32)
    execute_typed(call, alpha, ta, tb, beta, static_cast<float*>(c));
  else
    execute_typed(call, alpha, ta, tb, beta, static_cast<In*>(c));  // validate(): C is f32 or the input type
}

}  // namespace

void HostColumnMajorGemm::execute(const ColumnMajorGemm& call, float alpha, const void* a, const void* b, float beta,
                                  void* c) {
  switch (call.a_type) {
    case ElementType::kF32: execute_in<float>(call, alpha, a, b, beta, c); return;
    case ElementType::kBF16: execute_in<bf16>(call, alpha, a, b, beta, c); return;
    case ElementType::kF16: execute_in<f16>(call, alpha, a, b, beta, c); return;
  }
}

}  // namespace ra::gemm

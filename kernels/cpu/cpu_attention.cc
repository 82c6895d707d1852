#include "kernels/cpu/cpu_attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/forward.h"
#include "kernels/gemm/gemm.h"
#include "runtime/core/check.h"

namespace ra::kernels::cpu {
namespace {

void check_tiles(const char* which, const TileSizes& t) {
  RA_CHECK(UsageError, t.q_rows >= 1 && t.q_rows <= 4096, which, " query tile rows must be in 1..4096, got ", t.q_rows);
  RA_CHECK(UsageError, t.k_cols >= 1 && t.k_cols <= 4096, which, " key tile cols must be in 1..4096, got ", t.k_cols);
}

float load(const ConstTensorView& t, std::int64_t i) {
  float x = 0.0f;
  visit_float_storage(t.dtype(), [&](auto type) { x = to_float(static_cast<const decltype(type)*>(t.raw())[i]); });
  return x;
}

void store(const TensorView& t, std::int64_t i, float x) {
  visit_float_storage(t.dtype(), [&](auto type) {
    using T = decltype(type);
    static_cast<T*>(t.raw())[i] = from_float<T>(x);
  });
}

}  // namespace

CpuAttention::CpuAttention(const CpuAttentionOptions& options)
    : options_(options), pool_(options.threads), scratch_(static_cast<std::size_t>(options.threads)) {
  check_tiles("forward", options.forward);
  check_tiles("backward", options.backward);
  gemm::ensure_single_threaded();
}

void CpuAttention::init_state(const SoftmaxState& state) {
  validate_state(state);
  std::fill_n(state.acc.data<float>(), state.acc.numel_elems(), 0.0f);
  std::fill_n(state.row_max.data<float>(), state.row_max.numel_elems(), numerics::neg_inf());
  std::fill_n(state.row_sum.data<float>(), state.row_sum.numel_elems(), 0.0f);
}

void CpuAttention::forward_accumulate(const ForwardArgs& args) {
  const AttnDims dims = validate_forward(args, kCpuSupport);
  cpu::forward_accumulate(args, dims, options_.forward, options_.precision, pool_, scratch_);
}

// O = acc / sum and LSE = max + log(sum); a row that saw no visible key has sum = 0 and
// gets O = 0, LSE = -inf exactly.
void CpuAttention::finalize(const FinalizeArgs& args) {
  validate_finalize(args, kCpuSupport);
  const std::int64_t lq = args.state.acc.dim(0), hq = args.state.acc.dim(1), d = args.state.acc.dim(2);
  const float* acc = args.state.acc.data<float>();
  const float* row_max = args.state.row_max.data<float>();
  const float* row_sum = args.state.row_sum.data<float>();
  float* lse = args.lse.data<float>();
  for (std::int64_t h = 0; h < hq; ++h) {
    for (std::int64_t r = 0; r < lq; ++r) {
      const std::int64_t row = h * lq + r;
      const float sum = row_sum[row];
      const bool empty = sum == 0.0f;
      lse[row] = empty ? numerics::neg_inf() : row_max[row] + std::log(sum);
      const float inv = empty ? 0.0f : 1.0f / sum;
      const std::int64_t base = (r * hq + h) * d;
      for (std::int64_t c = 0; c < d; ++c) store(args.o, base + c, empty ? 0.0f : acc[base + c] * inv);
    }
  }
}

void CpuAttention::backward_prepare(const BackwardPrepareArgs& args) {
  validate_backward_prepare(args, kCpuSupport);
  const std::int64_t lq = args.o.dim(0), hq = args.o.dim(1), d = args.o.dim(2);
  float* dsum = args.dsum.data<float>();
  for (std::int64_t r = 0; r < lq; ++r) {
    for (std::int64_t h = 0; h < hq; ++h) {
      const std::int64_t base = (r * hq + h) * d;
      float s = 0.0f;
      for (std::int64_t c = 0; c < d; ++c) s += load(args.o, base + c) * load(args.dout, base + c);
      dsum[h * lq + r] = s;
    }
  }
}

void CpuAttention::backward(const BackwardArgs& args) {
  const AttnDims dims = validate_backward(args, kCpuSupport);
  backward_accumulate(args, dims, options_.backward, options_.precision, pool_, scratch_);
}

void CpuAttention::merge(const MergeArgs& args) {
  validate_merge(args);
  const std::int64_t lq = args.o_a.dim(0), hq = args.o_a.dim(1), d = args.o_a.dim(2);
  float* o_a = args.o_a.data<float>();
  float* lse_a = args.lse_a.data<float>();
  const float* o_b = args.o_b.data<float>();
  const float* lse_b = args.lse_b.data<float>();
  for (std::int64_t h = 0; h < hq; ++h) {
    for (std::int64_t r = 0; r < lq; ++r) {
      const std::int64_t row = h * lq + r;
      const numerics::MergeWeights w = numerics::merge_weights(lse_a[row], lse_b[row]);
      lse_a[row] = w.lse;
      float* oa = o_a + (r * hq + h) * d;
      const float* ob = o_b + (r * hq + h) * d;
      switch (w.which) {
        case numerics::MergeCase::kOnlyA: break;
        case numerics::MergeCase::kOnlyB: std::copy(ob, ob + d, oa); break;
        case numerics::MergeCase::kNeither: std::fill(oa, oa + d, 0.0f); break;
        case numerics::MergeCase::kBoth:
          for (std::int64_t c = 0; c < d; ++c) oa[c] = w.w_a * oa[c] + w.w_b * ob[c];
          break;
      }
    }
  }
}

}  // namespace ra::kernels::cpu

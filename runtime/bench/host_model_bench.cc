#include "runtime/bench/host_model_bench.h"

#include <algorithm>
#include <chrono>
#include <type_traits>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "runtime/core/dtype.h"
#include "runtime/model/transformer.h"

namespace ra::bench {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Leaves o, lse, dq, dk, dv as they are: the model's working set is zero-initialized, so
// every value stays finite and the model's own work is what is timed.
class NoAttention final : public model::AttentionFn<float> {
 public:
  void forward(const float*, const float*, const float*, float*, float*) override {}
  void backward(const float*, const float*, const float*, const float*, const float*, const float*, float*, float*,
                float*) override {}
};

template <typename In>
In element(float f) {
  if constexpr (std::is_same_v<In, bf16>) {
    return to_bf16(f);
  } else {
    return f;
  }
}

template <typename In>
double time_linear_gemms(std::int64_t tokens, std::int64_t in, std::int64_t out, int reps) {
  const auto elems = [](std::int64_t r, std::int64_t c) { return static_cast<std::size_t>(r * c); };
  std::vector<In> x(elems(tokens, in), element<In>(0.5f)), w(elems(out, in), element<In>(0.25f)),
      dy(elems(tokens, out), element<In>(0.125f));
  std::vector<float> y(elems(tokens, out)), dx(elems(tokens, in)), dw(elems(out, in));
  using gemm::dense;
  using gemm::Transpose;
  std::vector<double> samples;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = Clock::now();
    gemm::multiply(1.0f, dense<const In>(x.data(), tokens, in), Transpose::kNo, dense<const In>(w.data(), out, in),
                   Transpose::kYes, 0.0f, dense(y.data(), tokens, out));
    gemm::multiply(1.0f, dense<const In>(dy.data(), tokens, out), Transpose::kNo, dense<const In>(w.data(), out, in),
                   Transpose::kNo, 0.0f, dense(dx.data(), tokens, in));
    gemm::multiply(1.0f, dense<const In>(dy.data(), tokens, out), Transpose::kYes,
                   dense<const In>(x.data(), tokens, in), Transpose::kNo, 1.0f, dense(dw.data(), out, in));
    if (r > 0) samples.push_back(std::chrono::duration<double>(Clock::now() - t0).count());  // the first: warm-up
  }
  return median(samples);
}

}  // namespace

double host_model_step_seconds(const model::ModelConfig& c, std::int64_t tokens, int reps) {
  model::Transformer<float> net(c);
  std::vector<float> params(static_cast<std::size_t>(net.layout().total_elems()), 0.01f), grads(params.size());
  const auto n = static_cast<std::size_t>(tokens);
  std::vector<std::int32_t> ids(n), targets(n), positions(n);
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = static_cast<std::int32_t>((i * 7919) % static_cast<std::size_t>(c.vocab));
    targets[i] = static_cast<std::int32_t>(((i + 1) * 7919) % static_cast<std::size_t>(c.vocab));
    positions[i] = static_cast<std::int32_t>(i);
  }
  NoAttention attention;
  const model::TokenShard shard{ids.data(), targets.data(), positions.data(), tokens};
  const float scale = 1.0f / static_cast<float>(tokens);
  std::vector<double> samples;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = Clock::now();
    net.forward_backward(params, shard, attention, scale, grads);
    if (r > 0) samples.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(samples);
}

double linear_gemm_flops_per_s(std::int64_t tokens, std::int64_t in, std::int64_t out, GemmInputs inputs, int reps) {
  gemm::ensure_single_threaded();
  const double seconds = inputs == GemmInputs::kF32 ? time_linear_gemms<float>(tokens, in, out, reps)
                                                    : time_linear_gemms<bf16>(tokens, in, out, reps);
  return 3 * 2.0 * static_cast<double>(tokens) * static_cast<double>(in) * static_cast<double>(out) / seconds;
}

}  // namespace ra::bench

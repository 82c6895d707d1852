// A consumer of the installed package: causal ring attention over a 64-token sequence on
// the ranks of its MPI job (CPU kernels), checked against attention computed here in
// double precision, term by term: O_i = Σ_j softmax_j(scale·q_i·k_j) v_j over j ≤ i.
// Prints the max error and where; exit 0 when it is below 1e-4 (fp32 accumulation over
// 64 keys of O(1) values: errors ~1e-6), 1 otherwise.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "comm/mpi/mpi_session.h"
#include "runtime/backend/backend.h"
#include "runtime/ring/full_sequence.h"

int main() {
  return ra::comm::mpi::run_on_world(ra::comm::CommOptions{}, [](ra::comm::Communicator& world) {
    constexpr std::int64_t S = 64, H = 2, D = 16;
    std::vector<float> q(S * H * D), k(S * H * D), v(S * H * D);
    for (std::size_t i = 0; i < q.size(); ++i) {
      q[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
      k[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
      v[i] = static_cast<float>(std::sin(0.05 * static_cast<double>(i) + 1.0));
    }
    std::vector<std::int32_t> pos(S), seg(S, 0);
    for (std::int64_t i = 0; i < S; ++i) pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);

    const std::unique_ptr<ra::ring::Backend> backend = ra::backend::make_backend(world, ra::backend::BackendOptions{});
    const ra::Shape shape{S, H, D};
    const ra::kernels::TokenMeta meta{ra::ConstTensorView(pos.data(), ra::DType::kI32, ra::Shape{S}),
                                      ra::ConstTensorView(seg.data(), ra::DType::kI32, ra::Shape{S})};
    ra::ring::FullSequence in;
    in.q = ra::ConstTensorView(q.data(), ra::DType::kF32, shape);
    in.k = ra::ConstTensorView(k.data(), ra::DType::kF32, shape);
    in.v = ra::ConstTensorView(v.data(), ra::DType::kF32, shape);
    in.q_meta = meta;
    in.k_meta = meta;
    ra::ring::FullSequenceOptions options;
    options.rule = {ra::numerics::MaskKind::kCausal, 0};
    options.scale = 1.0f / std::sqrt(static_cast<float>(D));
    const ra::ring::FullSequenceResult r = ra::ring::ring_attention_full(backend->context(), in, options);

    double max_err = 0;
    std::int64_t at = -1;
    for (std::int64_t i = 0; i < S; ++i) {
      for (std::int64_t h = 0; h < H; ++h) {
        const auto row = [&](const std::vector<float>& t, std::int64_t tok) {
          return &t[static_cast<std::size_t>((tok * H + h) * D)];
        };
        std::vector<double> w(static_cast<std::size_t>(i + 1));
        double mx = -1e300, sum = 0;
        for (std::int64_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (std::int64_t c = 0; c < D; ++c) dot += static_cast<double>(row(q, i)[c]) * row(k, j)[c];
          w[static_cast<std::size_t>(j)] = dot * options.scale;
          mx = std::max(mx, w[static_cast<std::size_t>(j)]);
        }
        for (double& x : w) sum += (x = std::exp(x - mx));
        for (std::int64_t c = 0; c < D; ++c) {
          double o = 0;
          for (std::int64_t j = 0; j <= i; ++j) o += w[static_cast<std::size_t>(j)] / sum * row(v, j)[c];
          const double err = std::fabs(o - r.o[static_cast<std::size_t>((i * H + h) * D + c)]);
          if (err > max_err) {
            max_err = err;
            at = (i * H + h) * D + c;
          }
        }
      }
    }
    std::printf("consumer: rank %d of %d, backend %s: max |O - O_f64| = %.3g at flat index %lld\n", world.rank(),
                world.size(), backend->name.c_str(), max_err, static_cast<long long>(at));
    return max_err < 1e-4 ? 0 : 1;
  });
}

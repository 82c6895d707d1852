#include "launch/bench_options.h"

#include "runtime/core/error.h"

namespace ra::launch {
namespace {

// The resolved layout (config::resolve replaced auto).
layout::Layout to_layout(config::Layout l) {
  switch (l) {
    case config::LAYOUT_CONTIGUOUS: return layout::Layout::kContiguous;
    case config::LAYOUT_ZIGZAG: return layout::Layout::kZigzag;
    case config::LAYOUT_STRIPED: return layout::Layout::kStriped;
    default: break;
  }
  throw InternalError("parallel.layout was not resolved (" + config::Layout_Name(l) + ")");
}

}  // namespace

bench::RingBenchOptions bench_options(const config::RunConfig& c) {
  const config::Attention& a = c.attention();
  bench::RingBenchOptions o;
  o.layout = to_layout(c.parallel().layout());
  o.seq_len = c.bench().seq_len() > 0 ? static_cast<std::int64_t>(c.bench().seq_len())
                                      : static_cast<std::int64_t>(c.bench().tokens_per_rank() * c.parallel().sp());
  o.heads = a.heads();
  o.kv_heads = a.kv_heads();
  o.head_dim = a.head_dim();
  o.mask = {a.mask() == config::MASK_CAUSAL ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional,
            static_cast<std::int32_t>(a.window())};
  o.dtype = a.dtype() == config::DATA_TYPE_BF16 ? DType::kBF16 : DType::kF32;
  o.threads = static_cast<int>(a.threads());
  o.timed_reps = static_cast<int>(c.bench().reps());
  o.warmup_reps = static_cast<int>(c.bench().warmup());
  o.seed = c.bench().seed();
  o.rings = static_cast<int>(c.parallel().dp());
  return o;
}

}  // namespace ra::launch

#include "runtime/bench/synthetic_shard.h"

#include <cstring>

namespace ra::bench {
namespace {

// SplitMix64: a well-mixed counter-based generator (Steele et al. 2014).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void fill_synthetic_rows(const layout::ShardPlan& plan, int rank, std::uint64_t seed, std::uint64_t tensor_id,
                         std::int64_t row_elems, DType dtype, void* out) {
  const std::uint64_t base = mix(seed ^ (tensor_id << 48));
  for (std::int64_t t = 0; t < plan.shard_len; ++t) {
    const std::int64_t g = layout::global_index(plan, rank, t);
    for (std::int64_t e = 0; e < row_elems; ++e) {
      float v = 0.0f;
      if (g < plan.seq_len) {
        const std::uint64_t h = mix(base + static_cast<std::uint64_t>(g * row_elems + e));
        v = static_cast<float>(static_cast<double>(h >> 40) * 0x1.0p-23 - 1.0);  // 24 bits -> [-1, 1)
      }
      const std::int64_t i = t * row_elems + e;
      if (dtype == DType::kBF16) {
        static_cast<bf16*>(out)[i] = to_bf16(v);
      } else {
        static_cast<float*>(out)[i] = v;
      }
    }
  }
}

void fill_synthetic_meta(const layout::ShardPlan& plan, int rank, std::int32_t* pos, std::int32_t* seg) {
  for (std::int64_t t = 0; t < plan.shard_len; ++t) {
    const std::int64_t g = layout::global_index(plan, rank, t);
    pos[t] = static_cast<std::int32_t>(g);
    seg[t] = g < plan.seq_len ? 0 : -1;
  }
}

}  // namespace ra::bench

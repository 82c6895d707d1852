#include "kernels/cpu/tiling.h"

namespace ra::kernels::cpu {

TileGrid make_tile_grid(const TokenMeta& meta, std::int64_t tile_elems) {
  TileGrid g;
  g.tokens = meta.pos.dim(0);
  g.tile_elems = tile_elems;
  const std::int64_t n = (g.tokens + tile_elems - 1) / tile_elems;
  g.summaries.resize(static_cast<std::size_t>(n));
  const std::int32_t* pos = meta.pos.data<std::int32_t>();
  const std::int32_t* seg = meta.seg.data<std::int32_t>();
  for (std::int64_t t = 0; t < n; ++t) {
    g.summaries[static_cast<std::size_t>(t)] =
        numerics::summarize_tile(pos + g.begin(t), seg + g.begin(t), static_cast<std::int32_t>(g.size(t)));
  }
  return g;
}

}  // namespace ra::kernels::cpu

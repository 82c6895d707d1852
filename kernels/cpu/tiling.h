// Splits a block of tokens into fixed-size tiles and summarizes each tile's metadata,
// so every (query tile, key tile) pair can be classified empty / full / partial in O(1).
// Tile sizes are fixed options, never derived from the thread count: results do not
// depend on how many threads run them.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention_op.h"

namespace ra::kernels::cpu {

struct TileGrid {
  std::int64_t tokens = 0;
  std::int64_t tile_elems = 0;
  std::vector<numerics::TileSummary> summaries;

  std::int64_t count() const { return static_cast<std::int64_t>(summaries.size()); }
  std::int64_t begin(std::int64_t t) const { return t * tile_elems; }
  std::int64_t size(std::int64_t t) const {
    const std::int64_t b = begin(t);
    return tokens - b < tile_elems ? tokens - b : tile_elems;
  }
};

TileGrid make_tile_grid(const TokenMeta& meta, std::int64_t tile_elems);

}  // namespace ra::kernels::cpu

// Tile sizes of the CPU kernels and the per-worker scratch they compute in.
#pragma once

#include <cstdint>
#include <vector>

namespace ra::kernels::cpu {

struct TileSizes {
  std::int64_t q_rows = 128;  // query rows per tile
  std::int64_t k_cols = 256;  // key columns per tile
};

struct CpuAttentionOptions {
  int threads = 1;
  TileSizes forward{128, 256};
  TileSizes backward{128, 128};
};

// One per worker thread, reused across calls; grows to the largest tile seen.
struct WorkerScratch {
  std::vector<float> scores;   // [q_rows, k_cols]: S, then P
  std::vector<float> dscores;  // [q_rows, k_cols]: dP, then dS (backward)
  std::vector<float> q, dout;  // widened bf16 query-side rows
  std::vector<float> k, v;     // widened bf16 key-side rows
};

}  // namespace ra::kernels::cpu

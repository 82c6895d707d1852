// Tile sizes of the CPU kernels and the per-worker scratch they compute in.
#pragma once

#include <cstdint>
#include <vector>

namespace ra::kernels::cpu {

struct TileSizes {
  std::int64_t q_rows;  // query rows per tile
  std::int64_t k_cols;  // key columns per tile
};

struct CpuAttentionOptions {
  int threads = 1;
  // Measured on Zen 4 (docs/performance.md): 256×256 beat 64–256 × 128–512 for the
  // forward; the backward keeps two score tiles (P and dS) per worker.
  TileSizes forward{256, 256};
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

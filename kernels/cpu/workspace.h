// Tile sizes of the CPU kernels and the per-worker scratch they compute in.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/dtype.h"

namespace ra::kernels::cpu {

struct TileSizes {
  std::int64_t q_rows;  // query rows per tile
  std::int64_t k_cols;  // key columns per tile
};

// The products of P and dS with bf16 storage (docs/numerics.md, "The CPU kernels'
// products"). Q·Kᵀ and dO·Vᵀ multiply the stored bf16 values in either mode (exact
// products, fp32 accumulation); fp32 and fp16 storage multiply in fp32 in either mode.
enum class ProductPrecision : std::uint8_t {
  kFast,   // P and dS rounded once to bf16 for P·V, Pᵀ·dO, dSᵀ·Q, dS·K (as the CUDA kernels' kFast)
  kExact,  // P and dS stay fp32: those four products in fp32 (bf16 operands widened)
};

struct CpuAttentionOptions {
  int threads = 1;
  ProductPrecision precision = ProductPrecision::kFast;
  // Measured on Zen 4 (docs/performance.md): 256×256 beat 64–256 × 128–512 for the
  // forward; the backward keeps two score tiles (P and dS) per worker.
  TileSizes forward{256, 256};
  TileSizes backward{128, 128};
};

// One per worker thread, reused across calls; grows to the largest tile seen.
struct WorkerScratch {
  std::vector<float> scores;    // [q_rows, k_cols]: S, then P
  std::vector<float> dscores;   // [q_rows, k_cols]: dP, then dS (backward)
  std::vector<float> q, dout;   // widened bf16 query-side rows
  std::vector<float> k, v;      // widened bf16 key-side rows
  std::vector<bf16> p16, ds16;  // [q_rows, k_cols]: P and dS rounded to bf16 (kFast)
};

}  // namespace ra::kernels::cpu

// Embedding forward and backward (runtime/model/layers.h: embedding_forward/backward).
//
// Backward without float atomics, in the CPU's order. dtable[v] must receive dy[i] for
// every token i with id v, in increasing i (the CPU's loop), so the result is bitwise the
// CPU's and independent of scheduling. Sort-free, in two kernels:
//   1. links: one thread per token i finds the next token with the same id (or −1) and
//      whether i is the first token with its id (scans with early exit; O(n) per token
//      in the worst case, O(n²) in all — tens of microseconds at n = 8k on a GPU).
//   2. accumulate: one block per (token i, slice of columns); blocks whose token is not
//      the first of its id exit at once; the others own dtable[v, slice] outright and walk
//      the chain i → next(i) → …, adding dy rows in token order.
// A row hit by many tokens is walked by one block per column slice: the chain is serial,
// the columns parallel.
#pragma once

#include <cstdint>

#include "kernels/cuda/model/device_util.h"
#include "kernels/cuda/model/model_params.h"
#include "kernels/cuda/portable.h"
#include "kernels/cuda/storage_types.h"

namespace ra::kernels::cuda {
inline namespace RA_CUDA_BUILD {

RA_DEVICE bool valid_token(std::int32_t v, std::int64_t vocab_rows) { return v >= 0 && v < vocab_rows; }

// y[i, c] = table[tokens[i], c]; one thread per element.
template <typename T>
RA_GLOBAL void embedding_forward_kernel(EmbeddingForwardParams p) {
  const std::int64_t e = global_thread_index();
  if (e >= p.n_rows * p.row_elems) return;
  const std::int64_t i = e / p.row_elems, c = e % p.row_elems;
  const std::int32_t v = p.tokens[i];
  const float x =
      valid_token(v, p.vocab_rows) ? p.table[static_cast<std::int64_t>(v) * p.row_elems + c] : model_quiet_nan();
  storage_as<T>(p.y)[e] = from_f32<T>(x);
}

// links[i] = the smallest j > i with tokens[j] == tokens[i], or −1;
// links[n + i] = 1 when no j < i has tokens[i] (i owns the id's accumulation), else 0.
RA_GLOBAL void embedding_links_kernel(EmbeddingBackwardParams p) {
  const std::int64_t i = global_thread_index();
  if (i >= p.n_rows) return;
  const std::int32_t v = p.tokens[i];
  std::int32_t next = -1;
  std::int32_t first = valid_token(v, p.vocab_rows) ? 1 : 0;  // an invalid id owns nothing
  for (std::int64_t j = i - 1; first == 1 && j >= 0; --j)
    if (p.tokens[j] == v) first = 0;
  for (std::int64_t j = i + 1; next < 0 && j < p.n_rows; ++j)
    if (p.tokens[j] == v) next = static_cast<std::int32_t>(j);
  p.links[i] = next;
  p.links[p.n_rows + i] = first;
}

// Block (i, slice): if token i is the first of its id, dtable[v, c] += dy[j, c] for the
// id's tokens j in increasing order, c in the slice.
template <typename T>
RA_GLOBAL void embedding_accumulate_kernel(EmbeddingBackwardParams p) {
  const std::int64_t i = blockIdx.x;
  if (p.links[p.n_rows + i] == 0) return;  // uniform over the block
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (c >= p.row_elems) return;
  const T* const dy = storage_as<T>(p.dy);
  float* const row = p.dtable + static_cast<std::int64_t>(p.tokens[i]) * p.row_elems;
  float acc = row[c];
  for (std::int64_t j = i; j >= 0; j = p.links[j]) acc += to_f32(dy[j * p.row_elems + c]);
  row[c] = acc;
}

}  // namespace RA_CUDA_BUILD
}  // namespace ra::kernels::cuda

// A batch of training sequences, row-major [batch, seq_len]: token ids, targets (the
// next token of the same document, −1: no loss), positions (from 0 at each document
// start) and segment ids (one per document within a sequence; −1: padding).
#pragma once

#include <cstdint>
#include <vector>

namespace ra::data {

struct SequenceBatch {
  std::int64_t batch = 0, seq_len = 0;
  std::vector<std::int32_t> tokens, targets, positions, segments;
};

// A deterministic 64-bit mix of several integers (splitmix64 steps): seeds of batches
// and sequences as pure functions of (seed, step, group, index).
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0, std::uint64_t d = 0) {
  std::uint64_t x = a;
  for (std::uint64_t v : {b, c, d}) {
    x += 0x9e3779b97f4a7c15ull + v;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
  }
  return x;
}

// An unbiased draw in [0, n) (std::uniform_int_distribution's output is implementation-defined).
template <typename Rng>
std::uint64_t draw_below(Rng& rng, std::uint64_t n) {
  const std::uint64_t limit = ~0ull - (~0ull % n);
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return x % n;
}

}  // namespace ra::data

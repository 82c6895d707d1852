// Platform-independent randomness for the data: every seed of a batch, a sequence or an
// epoch is a pure function of integers (mix_seed), and every bounded draw is our own
// (draw_below) — std::uniform_int_distribution's output is implementation-defined, so a
// run resumed on another standard library would otherwise see other data.
// std::mt19937_64 itself is fully specified by the standard: same seed, same stream.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "runtime/core/check.h"

namespace ra::data {

// A deterministic 64-bit mix of several integers (splitmix64 finalizer steps). Seeds of
// epochs, batches and sequences are mix_seed(seed, stream/epoch, index, row).
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

// An unbiased draw in [0, n), n >= 1, by rejection: raw values at or above the largest
// multiple of n that fits are redrawn (at most n − 1 of 2^64 values, so redraws are rare).
template <typename Rng>
std::uint64_t draw_below(Rng& rng, std::uint64_t n) {
  static_assert(Rng::min() == 0 && Rng::max() == ~0ull, "draw_below needs a full 64-bit engine (std::mt19937_64)");
  RA_CHECK(InternalError, n >= 1, "draw_below needs a non-empty range");
  const std::uint64_t limit = ~0ull - (~0ull % n);  // a multiple of n
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return x % n;
}

}  // namespace ra::data

// The CUDA built-ins kernels use, for the SIMT emulator (included through
// kernels/cuda/portable.h when RA_SIMT is defined; nvcc never sees this file).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "kernels/simt/runtime.h"

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}  // NOLINT
};

#define RA_SIMT_SITE (::ra::simt::Site{__FILE__, __LINE__})
#define threadIdx (::ra::simt::current().thread_idx)
#define blockIdx (::ra::simt::current().block_idx)
#define blockDim (::ra::simt::current().block_dim)
#define gridDim (::ra::simt::current().grid_dim)
#define warpSize (::ra::simt::kWarpSize)
#define __syncthreads() ::ra::simt::syncthreads(RA_SIMT_SITE)
#define __syncwarp(...) ::ra::simt::syncwarp_api(RA_SIMT_SITE __VA_OPT__(, ) __VA_ARGS__)
#define __shfl_sync(...) ::ra::simt::shfl_api(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kShuffleIndex, __VA_ARGS__)
#define __shfl_xor_sync(...) ::ra::simt::shfl_api(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kShuffleXor, __VA_ARGS__)
#define __shfl_up_sync(...) ::ra::simt::shfl_api(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kShuffleUp, __VA_ARGS__)
#define __shfl_down_sync(...) ::ra::simt::shfl_api(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kShuffleDown, __VA_ARGS__)
#define __ballot_sync(mask, pred) \
  static_cast<unsigned>(          \
      ::ra::simt::warp_op(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kBallot, (mask), (pred) ? 1 : 0, 0, 32))
#define __any_sync(mask, pred) \
  static_cast<int>(::ra::simt::warp_op(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kAny, (mask), (pred) ? 1 : 0, 0, 32))
#define __all_sync(mask, pred) \
  static_cast<int>(::ra::simt::warp_op(RA_SIMT_SITE, ::ra::simt::WarpOpKind::kAll, (mask), (pred) ? 1 : 0, 0, 32))

namespace ra::simt {

inline void syncwarp_api(Site site, unsigned mask = 0xffffffffu) { syncwarp(site, mask); }

template <typename T>
T shfl_api(Site site, WarpOpKind kind, unsigned mask, T value, int arg, int width = kWarpSize) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp shuffles move up to 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_op(site, kind, mask, bits, arg, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

// Shared memory with checked indexing: an out-of-bounds access names the thread, the
// index and the size instead of corrupting memory silently.
template <typename T, std::size_t N>
class SharedArray {
 public:
  T& operator[](std::size_t i) {
    check(i);
    return data_[i];
  }
  static constexpr std::size_t size() { return N; }

 private:
  void check(std::size_t i) const {
    if (i >= N) {
      throw SimtError("simt: shared memory index " + std::to_string(i) + " out of bounds [0, " + std::to_string(N) +
                      ") in " + where_am_i());
    }
  }
  T data_[N];
};

// The block's dynamic shared memory, as a checked view of T.
template <typename T>
class SharedSpan {
 public:
  SharedSpan() : base_(reinterpret_cast<T*>(dynamic_shared_base())), size_(dynamic_shared_bytes() / sizeof(T)) {}
  T& operator[](std::size_t i) const {
    if (i >= size_) {
      throw SimtError("simt: dynamic shared memory index " + std::to_string(i) + " out of bounds [0, " +
                      std::to_string(size_) + ") in " + where_am_i());
    }
    return base_[i];
  }

 private:
  T* base_;
  std::size_t size_;
};

}  // namespace ra::simt

// Threads of a block run cooperatively on one OS thread: a read-modify-write is atomic.
template <typename T>
inline T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <typename T>
inline T atomicMax(T* address, T value) {
  const T old = *address;
  *address = old > value ? old : value;
  return old;
}
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }

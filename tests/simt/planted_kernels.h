// Kernels for the emulator's own tests, written against kernels/cuda/portable.h like the
// real ones: a correct block reduction, the same reduction with a barrier missing, and
// kernels with planted divergence, out-of-bounds shared accesses and warp collectives.
#pragma once

#include "kernels/cuda/portable.h"

namespace ra::simt::planted {

constexpr unsigned kBlock = 64;

enum class Barriers : std::uint8_t { kAll, kMissingOne };

// Tree sum of each block's kBlock inputs into out[blockIdx.x].
RA_GLOBAL void block_sum(const float* in, float* out, Barriers barriers) {
  RA_SHARED_ARRAY(float, partial, kBlock);
  const unsigned t = threadIdx.x;
  partial[t] = in[blockIdx.x * kBlock + t];
  if (barriers == Barriers::kAll) __syncthreads();  // the planted bug: without it, reads race the writes
  for (unsigned half = kBlock / 2; half > 0; half /= 2) {
    if (t < half) partial[t] += partial[t + half];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

// Thread 0 leaves before the barrier the others wait at.
RA_GLOBAL void early_exit(float* out) {
  if (threadIdx.x == 0) return;
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

// Odd and even threads wait at different barriers.
RA_GLOBAL void two_barriers(float* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1.0f;
}

// Reads one element past the end of a shared array.
RA_GLOBAL void shared_overrun(float* out) {
  RA_SHARED_ARRAY(float, tile, kBlock);
  tile[threadIdx.x] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = tile[threadIdx.x + 1];
}

// Dynamic shared memory: reverse the block's inputs; `overrun` reads past the end.
RA_GLOBAL void dynamic_reverse(const float* in, float* out, int overrun) {
  RA_DYNAMIC_SHARED(float, buf);
  const unsigned t = threadIdx.x, n = blockDim.x;
  buf[t] = in[blockIdx.x * n + t];
  __syncthreads();
  out[blockIdx.x * n + t] = buf[n - 1 - t + (overrun != 0 && t == 0 ? n : 0)];
}

// Dynamic shared memory carved as raw bytes: thread 0 writes one float past the end.
RA_GLOBAL void dynamic_bytes_overrun(float* out) {
  RA_DYNAMIC_SHARED_BYTES(smem);
  float* buf = reinterpret_cast<float*>(smem);
  const unsigned t = threadIdx.x;
  buf[t] = static_cast<float>(t);
  if (t == 0) buf[blockDim.x] = -1.0f;
  __syncthreads();
  out[t] = buf[(t + 1) % blockDim.x];
}

// Per-warp sum by xor shuffles, a ballot, any/all votes and up/down shuffles.
RA_GLOBAL void warp_ops(const float* in, float* sum, unsigned* ballot, int* any_all, float* up, float* down) {
  const unsigned t = threadIdx.x, lane = t % 32;
  float v = in[t];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  sum[t] = v;
  ballot[t] = __ballot_sync(0xffffffffu, lane % 3 == 0);
  any_all[t] = __any_sync(0xffffffffu, lane == 5) * 2 + __all_sync(0xffffffffu, lane < 32);
  up[t] = __shfl_up_sync(0xffffffffu, in[t], 1);
  down[t] = __shfl_down_sync(0xffffffffu, in[t], 2, 16);
  __syncwarp();
}

// Lanes 0..15 shuffle; lanes 16..31 skip it while the mask names all 32.
RA_GLOBAL void warp_divergence(float* out) {
  float v = static_cast<float>(threadIdx.x);
  if (threadIdx.x % 32 < 16) v = __shfl_sync(0xffffffffu, v, 0);
  out[threadIdx.x] = v;
}

RA_GLOBAL void count(unsigned* counter) { atomicAdd(counter, 1u); }

RA_GLOBAL void throws_in_thread(float* out, int bad_thread) {
  if (static_cast<int>(threadIdx.x) == bad_thread) throw std::runtime_error("planted failure");
  out[threadIdx.x] = 0;
}

// 2-D grid of 2-D blocks: every thread writes its global coordinates.
RA_GLOBAL void coordinates(unsigned* out, unsigned width) {
  const unsigned x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
  out[y * width + x] = y * 1000 + x;
}

}  // namespace ra::simt::planted

// Tile sizes and shared-memory layouts of the attention kernels: plain constexpr C++,
// used by the kernels (offsets into dynamic shared memory), by the host (launch sizes,
// kernels/cuda/host/attention_grid.h) and checked against the device limits with
// static_assert, so a layout that does not fit fails to compile rather than to launch.
//
// Every buffer starts on a 128-byte boundary: WMMA needs 32-byte aligned tile pointers,
// and tile offsets inside a buffer are multiples of 16 rows or 16 columns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/attention_instances.h"
#include "kernels/host_device.h"

namespace ra::kernels::cuda {

// Opt-in dynamic shared memory per block: A100 (sm_80) 163 KiB, H100 (sm_90) 227 KiB.
// Layouts must fit sm_80, the smallest architecture we build for.
inline constexpr std::size_t kMaxSharedBytesSm80 = 163 * 1024;
inline constexpr std::size_t kMaxSharedBytesSm90 = 227 * 1024;
// Launches above this need cudaFuncAttributeMaxDynamicSharedMemorySize.
inline constexpr std::size_t kDefaultSharedBytes = 48 * 1024;

inline constexpr int kWarpThreads = 32;
inline constexpr int kMmaTile = 16;  // WMMA m16n16k16
inline constexpr int kMaxSplitTerms = 3;

class SmemCarver {
 public:
  static constexpr std::size_t kAlign = 128;
  RA_HD constexpr std::size_t take(std::size_t n_bytes) {
    const std::size_t at = bytes_;
    bytes_ = (bytes_ + n_bytes + kAlign - 1) / kAlign * kAlign;
    return at;
  }
  RA_HD constexpr std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

// Tile shape of one kernel: rows (query tokens) × cols (key tokens) per step, and warps.
struct TileShape {
  int rows = 0, cols = 0, warps = 0;
  RA_HD constexpr int threads() const { return warps * kWarpThreads; }
};

// Forward: a block owns `rows` query rows of one head (each warp 16 of them) and walks
// the key tiles of the block's kv head, `cols` keys at a time.
struct ForwardSmem {
  std::size_t q, k, v;     // storage type [rows|cols][D]
  std::size_t o;           // f32 [rows][D]: the accumulator of the block's rows
  std::size_t s;           // f32 [rows][cols]: scores of one key tile
  std::size_t p_terms;     // storage type [terms][rows][cols]: P split into 16-bit terms
  std::size_t row_max, row_sum;           // f32 [rows]
  std::size_t pos_q, seg_q, pos_k, seg_k;  // i32 [rows|cols]
  std::size_t bytes;
};

RA_HD constexpr TileShape forward_tiles(int /*head_dim*/) { return {64, 64, 4}; }

RA_HD constexpr ForwardSmem forward_smem(int d, std::size_t elem_bytes) {
  const TileShape t = forward_tiles(d);
  const auto rows = static_cast<std::size_t>(t.rows), cols = static_cast<std::size_t>(t.cols);
  const auto dd = static_cast<std::size_t>(d);
  SmemCarver c;
  ForwardSmem m{};
  m.q = c.take(rows * dd * elem_bytes);
  m.k = c.take(cols * dd * elem_bytes);
  m.v = c.take(cols * dd * elem_bytes);
  m.o = c.take(rows * dd * 4);
  m.s = c.take(rows * cols * 4);
  m.p_terms = c.take(kMaxSplitTerms * rows * cols * elem_bytes);
  m.row_max = c.take(rows * 4);
  m.row_sum = c.take(rows * 4);
  m.pos_q = c.take(rows * 4);
  m.seg_q = c.take(rows * 4);
  m.pos_k = c.take(cols * 4);
  m.seg_k = c.take(cols * 4);
  m.bytes = c.bytes();
  return m;
}

// Backward: the dK/dV kernel owns `cols` keys of one kv head and walks the query tiles of
// every query head of its group; the dQ kernel owns `rows` query rows of one head and
// walks the key tiles. Both recompute P from LSE; neither uses atomics (deterministic).
struct BackwardSmem {
  std::size_t q, dout, k, v;      // storage type
  std::size_t acc_a, acc_b;       // f32 [cols|rows][D]: dK and dV (dK/dV kernel), dQ (dQ kernel, acc_b unused)
  std::size_t p, ds;              // f32 [rows][cols]
  std::size_t terms;              // storage type [terms][rows][cols]: P, then dS, split into 16-bit terms
  std::size_t lse, dsum;          // f32 [rows]
  std::size_t pos_q, seg_q, pos_k, seg_k;
  std::size_t warp_max;           // f32 [warps]: block reduction of max|dS|
  std::size_t bytes;
};

enum class BackwardKernel : std::uint8_t { kDkDv, kDq };

RA_HD constexpr TileShape backward_tiles(BackwardKernel kernel, int head_dim) {
  // dK/dV keeps two f32 [64][D] accumulators: at D = 128 its query tile shrinks to 32
  // rows to fit sm_80's 163 KiB.
  if (kernel == BackwardKernel::kDkDv) return {head_dim > 64 ? 32 : 64, 64, 4};
  return {64, 64, 4};
}

RA_HD constexpr BackwardSmem backward_smem(BackwardKernel kernel, int d, std::size_t elem_bytes) {
  const TileShape t = backward_tiles(kernel, d);
  const auto rows = static_cast<std::size_t>(t.rows), cols = static_cast<std::size_t>(t.cols);
  const auto dd = static_cast<std::size_t>(d);
  SmemCarver c;
  BackwardSmem m{};
  m.q = c.take(rows * dd * elem_bytes);
  m.dout = c.take(rows * dd * elem_bytes);
  m.k = c.take(cols * dd * elem_bytes);
  m.v = c.take(cols * dd * elem_bytes);
  const std::size_t acc_rows = kernel == BackwardKernel::kDkDv ? cols : rows;
  m.acc_a = c.take(acc_rows * dd * 4);
  m.acc_b = c.take(kernel == BackwardKernel::kDkDv ? acc_rows * dd * 4 : 0);
  m.p = c.take(rows * cols * 4);
  m.ds = c.take(rows * cols * 4);
  m.terms = c.take(kMaxSplitTerms * rows * cols * elem_bytes);
  m.lse = c.take(rows * 4);
  m.dsum = c.take(rows * 4);
  m.pos_q = c.take(rows * 4);
  m.seg_q = c.take(rows * 4);
  m.pos_k = c.take(cols * 4);
  m.seg_k = c.take(cols * 4);
  m.warp_max = c.take(static_cast<std::size_t>(t.warps) * 4);
  m.bytes = c.bytes();
  return m;
}

// Every head dim of the instance table (attention_instances.h), every kernel: its layout
// fits sm_80's opt-in shared memory, so a head dim added there without room fails here.
constexpr bool every_layout_fits_sm80() {
  for (const std::int64_t d64 : kCudaHeadDims) {
    const int d = static_cast<int>(d64);
    if (d % kMmaTile != 0 || forward_smem(d, 2).bytes > kMaxSharedBytesSm80 ||
        backward_smem(BackwardKernel::kDkDv, d, 2).bytes > kMaxSharedBytesSm80 ||
        backward_smem(BackwardKernel::kDq, d, 2).bytes > kMaxSharedBytesSm80)
      return false;
  }
  return true;
}
static_assert(every_layout_fits_sm80(), "a head dim of RA_ATTENTION_HEAD_DIMS is not a multiple of 16 or does not fit "
                                        "sm_80 shared memory");

}  // namespace ra::kernels::cuda

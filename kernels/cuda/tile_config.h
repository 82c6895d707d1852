// Tile sizes and shared-memory layouts of the attention kernels: plain constexpr C++,
// used by the kernels (offsets into dynamic shared memory), by the host (launch sizes,
// kernels/cuda/host/attention_grid.h) and checked against the device limits with
// static_assert, so a layout that does not fit fails to compile rather than to launch.
//
// Every buffer starts on a 128-byte boundary: WMMA needs 32-byte aligned tile pointers,
// and tile offsets inside a buffer are multiples of 16 rows or 16 columns.
//
// Tile shapes are a pure constexpr function of (head dim, product precision, storage
// element size) — docs/cuda.md "Tile choices" gives the model and the table. The rule:
// among key tiles of 32, 64 and 128, the one with the least shared-memory traffic per
// useful FLOP (the kernels' WMMA operands and fp32 accumulators round-trip through shared
// memory, which the docs' model finds is their limit, not the tensor cores) that still
// keeps two blocks (8 warps) per SM on sm_90 and fits sm_80 at all. kExact keeps the
// shapes verified since the kernels were written (its three 16-bit copies of P/dS fill
// the room). kFast stores one copy, and spends the room on 128-key forward tiles at
// D ≤ 64 (109 KB; the P·V accumulator round trip amortized over twice the keys) and on
// 32-key dQ tiles at D = 128 (104 KB instead of 137 KB: two blocks per H100 SM, not one).
// Every layout fits sm_80 (static_assert below), the smallest architecture built, so one
// table serves sm_80 and sm_90; the budgets are checked on the CPU (tests/cuda_host).
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
// Shared memory of one SM (what co-resident blocks share), and what the driver reserves
// per block out of it: A100 164 KiB, H100 228 KiB, 1 KiB per block.
inline constexpr std::size_t kSmSharedBytesSm80 = 164 * 1024;
inline constexpr std::size_t kSmSharedBytesSm90 = 228 * 1024;
inline constexpr std::size_t kReservedSharedBytesPerBlock = 1024;
// 32-bit registers of one SM (sm_80 and sm_90), and the per-thread budget the tile
// choices are held to: 128 lets up to four 4-warp blocks share an SM without spilling
// (65536 / (4 · 128) = 128), far below the hardware's 255.
inline constexpr int kSmRegisters = 65536;
inline constexpr int kRegisterBudgetPerThread = 128;

inline constexpr int kWarpThreads = 32;
inline constexpr int kMmaTile = 16;  // WMMA m16n16k16
inline constexpr int kMaxSplitTerms = 3;

// How many 16-bit terms the fp32 operand P or dS is written as (split.h): one rounding
// (kFast) or the three-term split (kExact).
RA_HD constexpr int split_terms(MmaPrecision p) { return p == MmaPrecision::kExact ? kMaxSplitTerms : 1; }

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
  std::size_t q, k, v;                     // storage type [rows|cols][D]
  std::size_t o;                           // f32 [rows][D]: the accumulator of the block's rows
  std::size_t s;                           // f32 [rows][cols]: scores of one key tile
  std::size_t p_terms;                     // storage type [terms][rows][cols]: P split into 16-bit terms
  std::size_t row_max, row_sum;            // f32 [rows]
  std::size_t pos_q, seg_q, pos_k, seg_k;  // i32 [rows|cols]
  std::size_t bytes;
};

// The forward's tiles. Rows are 16 per warp (4 warps, 64 rows) everywhere: the
// accumulator [64 × D] f32 is the largest buffer at D = 128, so the key tile is what
// varies. elem_bytes is the storage type's size (2 for bf16 and fp16, which therefore
// share their tiles); a wider type would shrink the key tile first.
RA_HD constexpr TileShape forward_tiles(int head_dim, MmaPrecision precision, std::size_t elem_bytes) {
  // kFast, D = 128: 128 keys would need 164 KB (over sm_80); 64 keys keep 2 blocks per
  // H100 SM (108 KB) with less traffic than 32 (docs/cuda.md).
  if (precision == MmaPrecision::kExact || elem_bytes > 2) return {64, 64, 4};
  return {64, head_dim <= 64 ? 128 : 64, 4};
}

RA_HD constexpr ForwardSmem forward_smem(int d, MmaPrecision precision, std::size_t elem_bytes) {
  const TileShape t = forward_tiles(d, precision, elem_bytes);
  const auto rows = static_cast<std::size_t>(t.rows), cols = static_cast<std::size_t>(t.cols);
  const auto dd = static_cast<std::size_t>(d);
  SmemCarver c;
  ForwardSmem m{};
  m.q = c.take(rows * dd * elem_bytes);
  m.k = c.take(cols * dd * elem_bytes);
  m.v = c.take(cols * dd * elem_bytes);
  m.o = c.take(rows * dd * 4);
  m.s = c.take(rows * cols * 4);
  m.p_terms = c.take(static_cast<std::size_t>(split_terms(precision)) * rows * cols * elem_bytes);
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
  std::size_t q, dout, k, v;  // storage type
  std::size_t acc_a, acc_b;   // f32 [cols|rows][D]: dK and dV (dK/dV kernel), dQ (dQ kernel, acc_b unused)
  std::size_t p, ds;          // f32 [rows][cols]
  std::size_t terms;          // storage type [terms][rows][cols]: P, then dS, split into 16-bit terms
  std::size_t lse, dsum;      // f32 [rows]
  std::size_t pos_q, seg_q, pos_k, seg_k;
  std::size_t warp_max;  // f32 [warps]: block reduction of max|dS|
  std::size_t bytes;
};

enum class BackwardKernel : std::uint8_t { kDkDv, kDq };

RA_HD constexpr TileShape backward_tiles(BackwardKernel kernel, int head_dim, MmaPrecision precision,
                                         std::size_t elem_bytes) {
  // dK/dV keeps two f32 [64][D] accumulators: at D = 128 its query tile shrinks to 32
  // rows to fit sm_80's 163 KiB (in both modes: 64 rows would need 172 KB even with one
  // term). A 128-key tile at D = 64 would need 192 KB: it stays at 64 keys.
  if (kernel == BackwardKernel::kDkDv) return {head_dim > 64 ? 32 : 64, 64, 4};
  // dQ at D = 128, kFast: 32-key tiles, 104 KB instead of 137 KB (two blocks per H100 SM).
  if (precision == MmaPrecision::kFast && elem_bytes <= 2 && head_dim > 64) return {64, 32, 4};
  return {64, 64, 4};
}

RA_HD constexpr BackwardSmem backward_smem(BackwardKernel kernel, int d, MmaPrecision precision,
                                           std::size_t elem_bytes) {
  const TileShape t = backward_tiles(kernel, d, precision, elem_bytes);
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
  m.terms = c.take(static_cast<std::size_t>(split_terms(precision)) * rows * cols * elem_bytes);
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

// How many blocks of `bytes` dynamic shared memory fit one SM with `sm_bytes` of it.
RA_HD constexpr int blocks_per_sm(std::size_t bytes, std::size_t sm_bytes) {
  return static_cast<int>(sm_bytes / (bytes + kReservedSharedBytesPerBlock));
}

// Registers per thread of the kernels, an upper estimate from what is live at the
// busiest point, the WMMA loop of mma_tiles (tile_mma.h): `terms` product accumulators
// and the output accumulator (16×16 f32 over 32 lanes: 8 registers each), one A and one
// B fragment (16×16 16-bit: 4 each), plus 48 for addresses, loop counters, the params
// and the softmax row state. The softmax and copy loops hold a few scalars and reuse the
// same registers. ptxas -v (CUDA 13, sm_90) reports 48–66 for kFast and 56–80 for
// kExact, no spills (docs/cuda.md); the estimate bounds them, and a change that breaks
// the budget fails the CPU test.
RA_HD constexpr int estimated_registers_per_thread(MmaPrecision precision) {
  return 48 + 8 * (split_terms(precision) + 1) + 4 + 4;
}

// Every head dim × precision of the instance table (attention_instances.h), every
// kernel: its layout fits sm_80's opt-in shared memory, so an instance added there
// without room fails here (storage types are 16 bits).
constexpr bool every_layout_fits_sm80() {
  for (const std::int64_t d64 : kCudaHeadDims) {
    for (const MmaPrecision p : kMmaPrecisions) {
      const int d = static_cast<int>(d64);
      if (d % kMmaTile != 0 || forward_smem(d, p, 2).bytes > kMaxSharedBytesSm80 ||
          backward_smem(BackwardKernel::kDkDv, d, p, 2).bytes > kMaxSharedBytesSm80 ||
          backward_smem(BackwardKernel::kDq, d, p, 2).bytes > kMaxSharedBytesSm80 ||
          estimated_registers_per_thread(p) > kRegisterBudgetPerThread)
        return false;
    }
  }
  return true;
}
static_assert(every_layout_fits_sm80(),
              "an instance of attention_instances.h is not a multiple of 16, does not fit "
              "sm_80 shared memory or exceeds the register budget");

}  // namespace ra::kernels::cuda

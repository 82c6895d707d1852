// The launch configuration of the tiled attention kernels: every token tile of every
// head gets exactly one block, dynamic shared memory is the layout's size and fits the
// smallest target (sm_80), tile layouts keep WMMA's alignment, and what no kernel takes
// (other head dims, bad shapes, grids past CUDA's limits) is a UsageError naming it.
#include <gtest/gtest.h>

#include <string>

#include "kernels/cuda/host/attention_grid.h"
#include "kernels/cuda/tile_config.h"
#include "runtime/core/error.h"

namespace ra::kernels::cuda {
namespace {

constexpr AttentionKernel kKernels[] = {AttentionKernel::kForward, AttentionKernel::kBackwardDkDv,
                                        AttentionKernel::kBackwardDq};

constexpr MmaPrecision kFast = MmaPrecision::kFast, kExact = MmaPrecision::kExact;

TEST(AttentionGrid, OneBlockPerTokenTilePerHead) {
  for (AttentionKernel k : kKernels) {
    for (std::int32_t d : {16, 32, 64, 128}) {
      for (MmaPrecision p : kMmaPrecisions) {
        for (std::int32_t lq : {1, 63, 64, 65, 1000}) {
          const std::int32_t lk = lq + 37;
          const AttentionGrid g = attention_grid(k, {lq, lk, 8, 2, d}, p);
          const bool keys = k == AttentionKernel::kBackwardDkDv;
          const TileShape t = k == AttentionKernel::kForward ? forward_tiles(d, p, 2)
                              : keys                         ? backward_tiles(BackwardKernel::kDkDv, d, p, 2)
                                                             : backward_tiles(BackwardKernel::kDq, d, p, 2);
          const std::int64_t tokens = keys ? lk : lq, tile = keys ? t.cols : t.rows;
          EXPECT_GE(static_cast<std::int64_t>(g.blocks_x) * tile, tokens) << attention_kernel_name(k);
          EXPECT_LT(static_cast<std::int64_t>(g.blocks_x - 1) * tile, tokens) << "no empty tile";
          EXPECT_EQ(g.blocks_y, keys ? 2u : 8u) << "kv heads for dK/dV, query heads otherwise";
          EXPECT_EQ(g.threads, static_cast<std::uint32_t>(t.threads()));
          EXPECT_LE(g.shared_bytes, kMaxSharedBytesSm80);
          EXPECT_GT(g.shared_bytes, 0u);
        }
      }
    }
  }
}

TEST(AttentionGrid, SharedMemoryIsTheLayoutsSize) {
  for (MmaPrecision p : kMmaPrecisions) {
    EXPECT_EQ(attention_grid(AttentionKernel::kForward, {100, 100, 1, 1, 128}, p).shared_bytes,
              forward_smem(128, p, 2).bytes);
    EXPECT_EQ(attention_grid(AttentionKernel::kBackwardDkDv, {100, 100, 1, 1, 128}, p).shared_bytes,
              backward_smem(BackwardKernel::kDkDv, 128, p, 2).bytes);
    EXPECT_EQ(attention_grid(AttentionKernel::kBackwardDq, {100, 100, 1, 1, 64}, p).shared_bytes,
              backward_smem(BackwardKernel::kDq, 64, p, 2).bytes);
  }
  // kExact's layouts are the ones verified since the kernels were written (docs/cuda.md).
  EXPECT_EQ(forward_smem(128, kExact, 2).bytes, 124416u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDkDv, 128, kExact, 2).bytes, 144512u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDq, 128, kExact, 2).bytes, 157312u);
  // kFast's, as docs/cuda.md's table states them.
  EXPECT_EQ(forward_smem(64, kFast, 2).bytes, 108544u);
  EXPECT_EQ(forward_smem(128, kFast, 2).bytes, 108032u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDkDv, 64, kFast, 2).bytes, 108160u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDkDv, 128, kFast, 2).bytes, 136320u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDq, 64, kFast, 2).bytes, 91776u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDq, 128, kFast, 2).bytes, 103808u);
}

// The tile choice (tile_config.h): a pure constexpr function of (head dim, precision,
// storage size) — usable in a constant expression — whose every instance of the table
// fits the stated budgets: sm_80's opt-in shared memory per block (so sm_90 too), the
// register estimate within 128 per thread, and the SM's registers for as many blocks as
// its shared memory admits. Also the choices themselves: larger forward key tiles for
// kFast at D ≤ 64, smaller dQ key tiles at D = 128, kExact unchanged, bf16 and fp16 alike.
TEST(AttentionTiles, EveryChoiceFitsTheSharedMemoryAndRegisterBudget) {
  static_assert(forward_tiles(64, MmaPrecision::kFast, 2).cols == 128, "a constant expression");
  for (const std::int64_t d64 : kCudaHeadDims) {
    const int d = static_cast<int>(d64);
    for (MmaPrecision p : kMmaPrecisions) {
      SCOPED_TRACE("D=" + std::to_string(d) + " " + mma_precision_name(p));
      const std::size_t bytes[] = {forward_smem(d, p, 2).bytes, backward_smem(BackwardKernel::kDkDv, d, p, 2).bytes,
                                   backward_smem(BackwardKernel::kDq, d, p, 2).bytes};
      const TileShape tiles[] = {forward_tiles(d, p, 2), backward_tiles(BackwardKernel::kDkDv, d, p, 2),
                                 backward_tiles(BackwardKernel::kDq, d, p, 2)};
      for (int k = 0; k < 3; ++k) {
        EXPECT_LE(bytes[k], kMaxSharedBytesSm80);
        EXPECT_LE(bytes[k], kMaxSharedBytesSm90);
        const int regs = estimated_registers_per_thread(p);
        EXPECT_LE(regs, kRegisterBudgetPerThread);
        for (std::size_t sm : {kSmSharedBytesSm80, kSmSharedBytesSm90}) {
          const int blocks = blocks_per_sm(bytes[k], sm);
          EXPECT_GE(blocks, 1);
          EXPECT_LE(blocks * tiles[k].threads() * regs, kSmRegisters) << "registers for " << blocks << " blocks";
        }
        EXPECT_EQ(tiles[k].rows % kMmaTile, 0);
        EXPECT_EQ(tiles[k].cols % kMmaTile, 0);
        EXPECT_EQ(tiles[k].warps, 4);
      }
      EXPECT_EQ(forward_tiles(d, p, 2).rows, forward_tiles(d, p, 2).warps * kMmaTile) << "16 query rows per warp";
    }
    EXPECT_EQ(forward_tiles(d, kExact, 2).cols, 64);
    EXPECT_EQ(forward_tiles(d, kFast, 2).cols, d <= 64 ? 128 : 64);
    EXPECT_EQ(backward_tiles(BackwardKernel::kDq, d, kFast, 2).cols, d <= 64 ? 64 : 32);
  }
  // One key tile of a 16-bit type serves bf16 and fp16 (both 2 bytes): the choice
  // depends on the size, and a 4-byte type keeps the smaller layout.
  EXPECT_EQ(forward_tiles(64, kFast, 4).cols, 64);
  // The rule of tile_config.h: every kFast forward and dQ layout keeps two blocks per
  // H100 SM (kExact's D = 128 layouts hold one), and each fits sm_80.
  for (const std::int64_t d : kCudaHeadDims) {
    EXPECT_GE(blocks_per_sm(forward_smem(static_cast<int>(d), kFast, 2).bytes, kSmSharedBytesSm90), 2) << d;
    EXPECT_GE(
        blocks_per_sm(backward_smem(BackwardKernel::kDq, static_cast<int>(d), kFast, 2).bytes, kSmSharedBytesSm90), 2)
        << d;
  }
  EXPECT_EQ(blocks_per_sm(forward_smem(128, kExact, 2).bytes, kSmSharedBytesSm90), 1);
  EXPECT_EQ(blocks_per_sm(backward_smem(BackwardKernel::kDq, 128, kFast, 2).bytes, kSmSharedBytesSm90), 2);
  EXPECT_EQ(blocks_per_sm(backward_smem(BackwardKernel::kDq, 128, kExact, 2).bytes, kSmSharedBytesSm90), 1);
}

// WMMA needs 32-byte aligned tile pointers: every buffer starts on 128 bytes, and tile
// offsets inside one (multiples of 16 rows × a row of ≥ 16 elements) keep that.
TEST(AttentionGrid, EveryBufferIs128ByteAligned) {
  for (std::int32_t d : {16, 32, 64, 128}) {
    for (MmaPrecision p : kMmaPrecisions) {
      const ForwardSmem f = forward_smem(d, p, 2);
      for (std::size_t off :
           {f.q, f.k, f.v, f.o, f.s, f.p_terms, f.row_max, f.row_sum, f.pos_q, f.seg_q, f.pos_k, f.seg_k})
        EXPECT_EQ(off % 128, 0u) << "forward D=" << d;
      for (BackwardKernel k : {BackwardKernel::kDkDv, BackwardKernel::kDq}) {
        const BackwardSmem b = backward_smem(k, d, p, 2);
        for (std::size_t off : {b.q, b.dout, b.k, b.v, b.acc_a, b.acc_b, b.p, b.ds, b.terms, b.lse, b.dsum, b.pos_q,
                                b.seg_q, b.pos_k, b.seg_k, b.warp_max})
          EXPECT_EQ(off % 128, 0u) << "backward D=" << d;
      }
    }
  }
}

TEST(AttentionGrid, NothingToDoLaunchesNothing) {
  for (AttentionKernel k : kKernels) {
    EXPECT_EQ(attention_grid(k, {0, 100, 4, 4, 64}, kFast).blocks_x, 0u);
    EXPECT_EQ(attention_grid(k, {100, 0, 4, 4, 64}, kExact).blocks_x, 0u);
  }
}

std::string error_of(const AttnShape& s, AttentionKernel k = AttentionKernel::kForward) {
  try {
    attention_grid(k, s, kFast);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(AttentionGrid, RefusesWhatNoKernelTakes) {
  EXPECT_NE(error_of({8, 8, 1, 1, 40}).find("head_dim 40 has no kernel (built: 16, 32, 64, 128)"), std::string::npos);
  EXPECT_NE(error_of({8, 8, 3, 2, 64}).find("bad shape"), std::string::npos);
  EXPECT_NE(error_of({-1, 8, 1, 1, 64}).find("bad shape"), std::string::npos);
  EXPECT_NE(error_of({8, 8, 70000, 1, 64}).find("exceeds the CUDA limits"), std::string::npos) << "gridDim.y";
}

TEST(AttentionGrid, SharedMemoryBeyondTheDeviceIsAUsageError) {
  EXPECT_NO_THROW(check_shared_memory_fits(AttentionKernel::kForward, 124416, 166912, 128));
  try {
    check_shared_memory_fits(AttentionKernel::kBackwardDq, 157312, 101376, 128);
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("backward dQ, head_dim 128) needs 157312 bytes of shared memory per block; "
                                         "this device allows 101376"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ra::kernels::cuda

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

TEST(AttentionGrid, OneBlockPerTokenTilePerHead) {
  for (AttentionKernel k : kKernels) {
    for (std::int32_t d : {16, 32, 64, 128}) {
      for (std::int32_t lq : {1, 63, 64, 65, 1000}) {
        const std::int32_t lk = lq + 37;
        const AttentionGrid g = attention_grid(k, {lq, lk, 8, 2, d});
        const bool keys = k == AttentionKernel::kBackwardDkDv;
        const TileShape t = k == AttentionKernel::kForward ? forward_tiles(d)
                            : keys ? backward_tiles(BackwardKernel::kDkDv, d)
                                   : backward_tiles(BackwardKernel::kDq, d);
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

TEST(AttentionGrid, SharedMemoryIsTheLayoutsSize) {
  EXPECT_EQ(attention_grid(AttentionKernel::kForward, {100, 100, 1, 1, 128}).shared_bytes, forward_smem(128, 2).bytes);
  EXPECT_EQ(attention_grid(AttentionKernel::kBackwardDkDv, {100, 100, 1, 1, 128}).shared_bytes,
            backward_smem(BackwardKernel::kDkDv, 128, 2).bytes);
  EXPECT_EQ(attention_grid(AttentionKernel::kBackwardDq, {100, 100, 1, 1, 64}).shared_bytes,
            backward_smem(BackwardKernel::kDq, 64, 2).bytes);
  // The largest layouts use most of an A100's opt-in shared memory: the sizes in docs/cuda.md.
  EXPECT_EQ(forward_smem(128, 2).bytes, 124416u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDkDv, 128, 2).bytes, 144512u);
  EXPECT_EQ(backward_smem(BackwardKernel::kDq, 128, 2).bytes, 157312u);
}

// WMMA needs 32-byte aligned tile pointers: every buffer starts on 128 bytes, and tile
// offsets inside one (multiples of 16 rows × a row of ≥ 16 elements) keep that.
TEST(AttentionGrid, EveryBufferIs128ByteAligned) {
  for (std::int32_t d : {16, 32, 64, 128}) {
    const ForwardSmem f = forward_smem(d, 2);
    for (std::size_t off : {f.q, f.k, f.v, f.o, f.s, f.p_terms, f.row_max, f.row_sum, f.pos_q, f.seg_q, f.pos_k, f.seg_k})
      EXPECT_EQ(off % 128, 0u) << "forward D=" << d;
    for (BackwardKernel k : {BackwardKernel::kDkDv, BackwardKernel::kDq}) {
      const BackwardSmem b = backward_smem(k, d, 2);
      for (std::size_t off : {b.q, b.dout, b.k, b.v, b.acc_a, b.acc_b, b.p, b.ds, b.terms, b.lse, b.dsum, b.pos_q,
                              b.seg_q, b.pos_k, b.seg_k, b.warp_max})
        EXPECT_EQ(off % 128, 0u) << "backward D=" << d;
    }
  }
}

TEST(AttentionGrid, NothingToDoLaunchesNothing) {
  for (AttentionKernel k : kKernels) {
    EXPECT_EQ(attention_grid(k, {0, 100, 4, 4, 64}).blocks_x, 0u);
    EXPECT_EQ(attention_grid(k, {100, 0, 4, 4, 64}).blocks_x, 0u);
  }
}

std::string error_of(const AttnShape& s, AttentionKernel k = AttentionKernel::kForward) {
  try {
    attention_grid(k, s);
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

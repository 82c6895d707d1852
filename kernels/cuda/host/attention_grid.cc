#include "kernels/cuda/host/attention_grid.h"

#include <string>

#include "kernels/cuda/tile_config.h"
#include "runtime/core/check.h"

namespace ra::kernels::cuda {
namespace {

// CUDA's limits on gridDim.x and gridDim.y.
constexpr std::int64_t kMaxGridX = 2147483647, kMaxGridY = 65535;
// Storage types of the kernels are 16 bits (bf16, fp16).
constexpr std::size_t kElemBytes = 2;

bool head_dim_built(std::int32_t d) {
  for (std::int64_t built : kCudaHeadDims)
    if (built == d) return true;
  return false;
}

// "16, 32, 64, 128": the head dims of the instance table (attention_instances.h).
std::string built_head_dims() {
  std::string s;
  for (std::int64_t built : kCudaHeadDims) s += (s.empty() ? "" : ", ") + std::to_string(built);
  return s;
}

}  // namespace

const char* attention_kernel_name(AttentionKernel kernel) {
  switch (kernel) {
    case AttentionKernel::kForward: return "forward";
    case AttentionKernel::kBackwardDkDv: return "backward dK/dV";
    case AttentionKernel::kBackwardDq: return "backward dQ";
  }
  return "?";
}

void check_shared_memory_fits(AttentionKernel kernel, std::size_t needed_bytes, std::size_t device_limit_bytes,
                              std::int32_t head_dim) {
  RA_CHECK(UsageError, needed_bytes <= device_limit_bytes, "CUDA attention (", attention_kernel_name(kernel),
           ", head_dim ", head_dim, ") needs ", needed_bytes, " bytes of shared memory per block; this device allows ",
           device_limit_bytes, " (A100/H100 allow 163/227 KiB; sm_86/sm_89 GPUs 99 KiB): use head_dim 64 or less");
}

AttentionGrid attention_grid(AttentionKernel kernel, const AttnShape& s, MmaPrecision precision) {
  const char* name = attention_kernel_name(kernel);
  RA_CHECK(UsageError, head_dim_built(s.d), "CUDA attention (", name, "): head_dim ", s.d,
           " has no kernel (built: ", built_head_dims(), ")");
  RA_CHECK(UsageError, s.lq >= 0 && s.lk >= 0 && s.hq >= 1 && s.hkv >= 1 && s.hq % s.hkv == 0, "CUDA attention (", name,
           "): bad shape lq=", s.lq, " lk=", s.lk, " hq=", s.hq, " hkv=", s.hkv);
  TileShape tiles{};
  std::int64_t tokens = 0, heads = 0;
  std::size_t bytes = 0;
  switch (kernel) {
    case AttentionKernel::kForward:
      tiles = forward_tiles(s.d, precision, kElemBytes);
      tokens = s.lq;
      heads = s.hq;
      bytes = forward_smem(s.d, precision, kElemBytes).bytes;
      break;
    case AttentionKernel::kBackwardDkDv:
      tiles = backward_tiles(BackwardKernel::kDkDv, s.d, precision, kElemBytes);
      tokens = s.lk;
      heads = s.hkv;
      bytes = backward_smem(BackwardKernel::kDkDv, s.d, precision, kElemBytes).bytes;
      break;
    case AttentionKernel::kBackwardDq:
      tiles = backward_tiles(BackwardKernel::kDq, s.d, precision, kElemBytes);
      tokens = s.lq;
      heads = s.hq;
      bytes = backward_smem(BackwardKernel::kDq, s.d, precision, kElemBytes).bytes;
      break;
  }
  AttentionGrid g;
  if (s.lq == 0 || s.lk == 0) return g;  // nothing to compute: the outputs keep their values
  const std::int64_t tile_tokens = kernel == AttentionKernel::kBackwardDkDv ? tiles.cols : tiles.rows;
  const std::int64_t blocks_x = (tokens + tile_tokens - 1) / tile_tokens;
  RA_CHECK(UsageError, blocks_x <= kMaxGridX && heads <= kMaxGridY, "CUDA attention (", name, "): grid ", blocks_x,
           " x ", heads, " exceeds the CUDA limits ", kMaxGridX, " x ", kMaxGridY);
  g.blocks_x = static_cast<std::uint32_t>(blocks_x);
  g.blocks_y = static_cast<std::uint32_t>(heads);
  g.threads = static_cast<std::uint32_t>(tiles.threads());
  g.shared_bytes = bytes;
  return g;
}

}  // namespace ra::kernels::cuda

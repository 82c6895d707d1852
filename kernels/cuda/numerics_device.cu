// Instantiates the shared numerics (mask rule, tile classification, merge) in device
// code, so nvcc checks for every architecture that the header is valid there. The
// attention kernels (attention_dispatch.cu) include the same header.
#include "kernels/numerics.h"

namespace ra::kernels::cuda {

__global__ void numerics_device_probe(const int32_t* pos, const int32_t* seg, int32_t n, numerics::MaskRule rule,
                                      float* out) {
  const int32_t i = static_cast<int32_t>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  const bool vis = numerics::visible(rule, pos[i], seg[i], pos[0], seg[0]);
  const numerics::TileSummary s = numerics::summarize_tile(pos, seg, n);
  const numerics::TileClass cls = numerics::classify_tile(rule, s, s);
  const numerics::MergeWeights w = numerics::merge_weights(out[i], numerics::neg_inf());
  out[i] = (vis ? w.w_a : w.w_b) + static_cast<float>(cls) + numerics::rescale_factor(w.lse, 0.0f) +
           numerics::alibi_bias(0.5f, pos[i], pos[0]);
}

}  // namespace ra::kernels::cuda

// The `simt` backend's block operation: the CUDA attention kernels (kernels/cuda/op)
// with the SIMT emulator's build of their dispatch, on host memory. Its own file so the
// composition root's CPU part does not include the emulator's headers.
#pragma once

#include <memory>

#include "kernels/attention_op.h"
#include "kernels/cuda/attention_params.h"

namespace ra::backend {

std::unique_ptr<kernels::AttentionBlockOp> make_simt_block_op(kernels::cuda::MmaPrecision precision);

}  // namespace ra::backend

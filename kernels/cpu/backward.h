#pragma once

#include <vector>

#include "kernels/attention_op.h"
#include "kernels/cpu/workspace.h"
#include "kernels/validate.h"
#include "runtime/core/thread_pool.h"

namespace ra::kernels::cpu {

// Backward of one KV block: accumulates dQ, dK, dV in f32 (arguments validated).
void backward_accumulate(const BackwardArgs& a, const AttnDims& dims, const TileSizes& tiles,
                         ProductPrecision precision, ThreadPool& pool, std::vector<WorkerScratch>& scratch);

}  // namespace ra::kernels::cpu

#pragma once

#include <vector>

#include "kernels/attention_op.h"
#include "kernels/cpu/workspace.h"
#include "kernels/validate.h"
#include "runtime/core/thread_pool.h"

namespace ra::kernels::cpu {

// Forward-accumulate of one KV block into the online-softmax state (arguments validated).
void forward_accumulate(const ForwardArgs& a, const AttnDims& dims, const TileSizes& tiles, ProductPrecision precision,
                        ThreadPool& pool, std::vector<WorkerScratch>& scratch);

}  // namespace ra::kernels::cpu

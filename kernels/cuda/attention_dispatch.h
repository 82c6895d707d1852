// The CUDA block operation's kernels behind a dtype-free interface: dispatch on
// (storage dtype, head dim) to the instances of the table in attention_instances.h,
// ending in a UsageError. Plain C++: defined by nvcc in attention_dispatch.cu for GPUs,
// and by the emulator's build of the same source (tests/simt/attention_dispatch_simt.cc)
// — a program links exactly one. Each kernel family has one params struct for every
// instance (attention_params.h, row_params.h), passed to the kernel as it is given here.
// Pointers are device pointers on a GPU and host pointers under the emulator; `stream`
// is a cudaStream_t (ignored by the emulator, which runs launches to completion).
#pragma once

#include "kernels/cuda/attention_instances.h"
#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/row_params.h"

namespace ra::kernels::cuda {

void dispatch_init_state(const InitStateParams& p, void* stream);
void dispatch_forward(KernelStorage storage, const ForwardParams& p, void* stream);
void dispatch_finalize(KernelStorage storage, const FinalizeParams& p, void* stream);
void dispatch_prepare(KernelStorage storage, const PrepareParams& p, void* stream);
void dispatch_backward(KernelStorage storage, const BackwardParams& p, void* stream);
void dispatch_merge(const MergeParams& p, void* stream);

}  // namespace ra::kernels::cuda

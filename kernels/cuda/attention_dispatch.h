// The CUDA block operation's kernels behind a dtype-free interface: dispatch on
// (storage dtype, head dim, product precision) to the instances of the table in
// attention_instances.h, ending in a UsageError. Plain C++: defined by nvcc in attention_dispatch.cu for GPUs,
// and by the emulator's build of the same source (attention_dispatch_simt.cc) — a
// program may link either or both. Each kernel family has one params struct for every
// instance (attention_params.h, row_params.h), passed to the kernel as it is given here.
// Pointers are device pointers on a GPU and host pointers under the emulator; `stream`
// is a cudaStream_t (ignored by the emulator, which runs launches to completion).
#pragma once

#include "kernels/cuda/attention_instances.h"
#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/row_params.h"

namespace ra::kernels::cuda {

// The entry points of one build of the kernels. A program may link both builds (the
// cuda and simt backends of ringattn), each in its own inline namespace (portable.h:
// RA_CUDA_BUILD), so the op reaches its kernels through this table, never by name.
struct AttentionKernels {
  const char* build;  // "nvcc" or "simt"
  void (*init_state)(const InitStateParams& p, void* stream);
  void (*forward)(KernelStorage storage, const ForwardParams& p, void* stream);
  void (*finalize)(KernelStorage storage, const FinalizeParams& p, void* stream);
  void (*prepare)(KernelStorage storage, const PrepareParams& p, void* stream);
  void (*backward)(KernelStorage storage, const BackwardParams& p, void* stream);
  void (*merge)(const MergeParams& p, void* stream);
};

// nvcc's build (attention_dispatch.cu, target ra_kernels_cuda): device pointers.
const AttentionKernels& nvcc_attention_kernels();
// The emulator's build (attention_dispatch_simt.cc, target ra_simt_attention): host pointers.
const AttentionKernels& simt_attention_kernels();

}  // namespace ra::kernels::cuda

// The dst += src kernel, compiled by nvcc in add_kernel.cu. This header is plain C++ so
// that its launcher (add_launcher.cc) is host code built with the project's full
// warning set; the launcher passes the kernel to cudaLaunchKernel.
#pragma once

namespace ra::device::cuda {

// The host-side handle of `__global__ void add_f32(float* dst, const float* src,
// std::int64_t n_elems)`: a grid-stride loop, so any grid covers all n_elems.
const void* add_f32_kernel();

}  // namespace ra::device::cuda

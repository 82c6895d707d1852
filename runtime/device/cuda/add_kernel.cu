#include "runtime/device/cuda/add_f32_kernel.h"
#include "runtime/device/cuda/add_kernel.h"

namespace ra::device::cuda {

const void* add_f32_kernel() { return reinterpret_cast<const void*>(&kernels::add_f32); }

}  // namespace ra::device::cuda

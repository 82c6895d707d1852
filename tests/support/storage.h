// Test values in and out of the storage dtype (f32 or bf16).
#pragma once

#include <vector>

#include "runtime/core/tensor_view.h"

namespace ra::testing {

// A host buffer holding x in `dtype` (bf16: rounded to nearest even).
HostBuffer to_storage(const std::vector<float>& x, DType dtype);

// The elements of an f32 or bf16 view as floats.
std::vector<float> to_floats(const ConstTensorView& t);

}  // namespace ra::testing

// Test values in and out of the storage dtype (f32, bf16 or f16).
#pragma once

#include <vector>

#include "runtime/core/tensor_view.h"

namespace ra::testing {

// A host buffer holding x in `dtype` (16-bit types: rounded to nearest even).
HostBuffer to_storage(const std::vector<float>& x, DType dtype);

// The elements of an f32, bf16 or f16 view as floats.
std::vector<float> to_floats(const ConstTensorView& t);

}  // namespace ra::testing

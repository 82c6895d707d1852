#include <gtest/gtest.h>

#include "runtime/core/tensor_view.h"

namespace ra {
namespace {

TEST(TensorView, ShapeAndSizes) {
  HostBuffer b = HostBuffer::for_shape(DType::kBF16, Shape{3, 4, 5});
  const TensorView v = b.view(DType::kBF16, Shape{3, 4, 5});
  EXPECT_EQ(v.numel_elems(), 60);
  EXPECT_EQ(v.size_bytes(), 120u);
  EXPECT_EQ(v.shape().str(), "[3, 4, 5]");
  const ConstTensorView c = v;  // mutable converts to read-only
  EXPECT_EQ(c.raw(), v.raw());
}

TEST(TensorView, TypedAccessChecksDtype) {
  HostBuffer b = HostBuffer::for_shape(DType::kF32, Shape{4});
  const TensorView v = b.view(DType::kF32, Shape{4});
  EXPECT_NO_THROW(v.data<float>());
  EXPECT_THROW(v.data<std::int32_t>(), InternalError);
}

TEST(TensorView, NegativeDimensionIsAUsageError) { EXPECT_THROW(Shape({3, -1}), UsageError); }

TEST(Bf16, RoundsToNearestEvenAndKeepsSpecials) {
  EXPECT_EQ(to_bf16(1.0f).bits, 0x3f80);
  // 1 + 2^-8 is exactly between 1 and 1 + 2^-7: ties to even (1.0).
  EXPECT_EQ(to_float(to_bf16(1.00390625f)), 1.0f);
  EXPECT_EQ(to_float(to_bf16(1.01171875f)), 1.015625f);
  EXPECT_EQ(to_float(to_bf16(-INFINITY)), -INFINITY);
  EXPECT_TRUE(std::isnan(to_float(to_bf16(NAN))));
}

}  // namespace
}  // namespace ra

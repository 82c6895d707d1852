#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>

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

// VmRSS of this process (/proc/self/status), bytes.
std::int64_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

// A released large buffer leaves the process at once, however the heap was used before
// (a heap-allocated one could stay resident: what the memory model does not count).
TEST(HostBuffer, AReleasedLargeBufferIsNoLongerResident) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer large buffers come from its heap (redzones)";
#endif
  constexpr std::size_t kBytes = 64u << 20;
  { HostBuffer warm(kBytes); }  // a first large free: glibc would raise its mmap threshold here
  std::int64_t held = 0;
  {
    HostBuffer b(kBytes);
    b.fill_zero();  // touched: resident
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.raw()) % 64, 0u);
    held = resident_bytes();
  }
  const std::int64_t after = resident_bytes();
  EXPECT_GE(held - after, static_cast<std::int64_t>(kBytes) * 9 / 10)
      << "resident " << held << " B holding the buffer, " << after << " B after releasing it";
}

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

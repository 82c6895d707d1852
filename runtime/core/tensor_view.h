// Non-owning views of dense row-major tensors (rank 1..4) on a device, and an owning
// host buffer. Element counts are `_elems`, byte counts `_bytes`.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>

#include "runtime/core/check.h"
#include "runtime/core/dtype.h"

namespace ra {

enum class DeviceKind : std::uint8_t { kCpu, kCuda };

struct Shape {
  static constexpr int kMaxRank = 4;
  std::array<std::int64_t, kMaxRank> dims{};
  int rank = 0;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> d);

  std::int64_t numel_elems() const;
  std::string str() const;  // "[4096, 8, 64]"
  bool operator==(const Shape& o) const;
};

// `Void` is `void` for a mutable view and `const void` for a read-only one.
template <typename Void>
class BasicTensorView {
 public:
  BasicTensorView() = default;
  BasicTensorView(Void* data, DType dtype, Shape shape, DeviceKind device = DeviceKind::kCpu)
      : data_(data), dtype_(dtype), shape_(shape), device_(device) {}
  // A mutable view converts to a read-only one.
  template <typename V = Void, typename = std::enable_if_t<std::is_const_v<V>>>
  BasicTensorView(const BasicTensorView<void>& o)  // NOLINT(google-explicit-constructor)
      : data_(o.raw()), dtype_(o.dtype()), shape_(o.shape()), device_(o.device()) {}

  Void* raw() const { return data_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  DeviceKind device() const { return device_; }
  int rank() const { return shape_.rank; }
  std::int64_t dim(int i) const { return shape_.dims[static_cast<std::size_t>(i)]; }
  std::int64_t numel_elems() const { return shape_.numel_elems(); }
  std::size_t size_bytes() const { return static_cast<std::size_t>(numel_elems()) * dtype_size_bytes(dtype_); }
  bool empty() const { return data_ == nullptr; }

  // Typed pointer; the element type must match the view's dtype.
  template <typename T>
  auto data() const {
    RA_CHECK_EQ(InternalError, dtype_name(dtype_), dtype_name(dtype_of_v<T>), "typed access to a tensor view");
    using Ptr = std::conditional_t<std::is_const_v<Void>, const std::remove_const_t<T>*, T*>;
    return static_cast<Ptr>(data_);
  }

 private:
  Void* data_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_{};
  DeviceKind device_ = DeviceKind::kCpu;
};

using TensorView = BasicTensorView<void>;
using ConstTensorView = BasicTensorView<const void>;

// Owning, 64-byte aligned host memory that hands out views. Asking for a view larger
// than the buffer is an error naming both sizes (never a silent overrun).
class HostBuffer {
 public:
  HostBuffer() = default;
  explicit HostBuffer(std::size_t size_bytes);
  static HostBuffer for_shape(DType dtype, const Shape& shape);

  std::size_t size_bytes() const { return size_bytes_; }
  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }
  TensorView view(DType dtype, const Shape& shape);
  ConstTensorView view(DType dtype, const Shape& shape) const;
  void fill_zero();

 private:
  struct Free {
    std::size_t mapped_bytes;  // > 0: the pages of a large buffer, unmapped on release (value-initialized: 0)
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  std::size_t size_bytes_ = 0;
};

}  // namespace ra

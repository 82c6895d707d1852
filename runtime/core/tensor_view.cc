#include "runtime/core/tensor_view.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

namespace ra {

Shape::Shape(std::initializer_list<std::int64_t> d) {
  RA_CHECK_LE(UsageError, d.size(), static_cast<std::size_t>(kMaxRank), "tensor rank");
  for (std::int64_t x : d) {
    RA_CHECK_GE(UsageError, x, 0, "tensor dimension must be non-negative");
    dims[static_cast<std::size_t>(rank++)] = x;
  }
}

std::int64_t Shape::numel_elems() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dims[static_cast<std::size_t>(i)];
  return n;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < rank; ++i) os << (i ? ", " : "") << dims[static_cast<std::size_t>(i)];
  os << ']';
  return os.str();
}

bool Shape::operator==(const Shape& o) const {
  if (rank != o.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (dims[static_cast<std::size_t>(i)] != o.dims[static_cast<std::size_t>(i)]) return false;
  return true;
}

void HostBuffer::Free::operator()(void* p) const {
  if (mapped_bytes > 0) {
    ::munmap(p, mapped_bytes);
  } else {
    std::free(p);
  }
}

// A buffer of 1 MiB or more gets pages of its own (mmap), returned to the system the
// moment it is released. From the heap, a freed large buffer can stay resident: glibc
// raises its mmap threshold (up to 32 MiB) after the first large free, and a later one
// then lands in the heap, where a hole is not given back — a run's RSS would grow past
// the tensors alive, and the memory model and guard (runtime/plan) count those only.
// (Not under AddressSanitizer, whose heap redzones catch overruns.)
HostBuffer::HostBuffer(std::size_t size_bytes) : size_bytes_(size_bytes) {
  constexpr std::size_t kAlign = 64, kMappedBytes = 1u << 20;
  const std::size_t rounded = (size_bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) return;
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kMap = false;  // AddressSanitizer's heap has redzones that catch an overrun; pages do not
#else
  constexpr bool kMap = true;
#endif
  if (kMap && rounded >= kMappedBytes) {
    void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = std::unique_ptr<void, Free>(p, Free{rounded});
    return;
  }
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(p);
}

HostBuffer HostBuffer::for_shape(DType dtype, const Shape& shape) {
  return HostBuffer(static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype));
}

TensorView HostBuffer::view(DType dtype, const Shape& shape) {
  const std::size_t need_bytes = static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  RA_CHECK_LE(UsageError, need_bytes, size_bytes_, "view ", shape.str(), " of ", dtype_name(dtype),
              " does not fit its buffer");
  return TensorView(data_.get(), dtype, shape);
}

ConstTensorView HostBuffer::view(DType dtype, const Shape& shape) const {
  const std::size_t need_bytes = static_cast<std::size_t>(shape.numel_elems()) * dtype_size_bytes(dtype);
  RA_CHECK_LE(UsageError, need_bytes, size_bytes_, "view ", shape.str(), " of ", dtype_name(dtype),
              " does not fit its buffer");
  return ConstTensorView(data_.get(), dtype, shape);
}

void HostBuffer::fill_zero() {
  if (data_) std::memset(data_.get(), 0, size_bytes_);
}

}  // namespace ra

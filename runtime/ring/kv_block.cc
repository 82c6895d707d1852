#include "runtime/ring/kv_block.h"

namespace ra::ring {
namespace {

constexpr std::size_t kAlignBytes = 64;
std::size_t align_up(std::size_t b) { return (b + kAlignBytes - 1) / kAlignBytes * kAlignBytes; }

}  // namespace

std::size_t KvLayout::kv_part_bytes() const {
  return static_cast<std::size_t>(tokens * kv_heads * head_dim) * dtype_size_bytes(dtype);
}
std::size_t KvLayout::v_offset_bytes() const { return align_up(kv_part_bytes()); }
std::size_t KvLayout::pos_offset_bytes() const { return v_offset_bytes() + align_up(kv_part_bytes()); }
std::size_t KvLayout::seg_offset_bytes() const {
  return pos_offset_bytes() + align_up(static_cast<std::size_t>(tokens) * sizeof(std::int32_t));
}
std::size_t KvLayout::total_bytes() const {
  return seg_offset_bytes() + static_cast<std::size_t>(tokens) * sizeof(std::int32_t);
}

KvBlock::KvBlock(device::Device& dev, const KvLayout& layout)
    : layout_(layout), buffer_(dev.allocate(layout.total_bytes())) {}

TensorView KvBlock::k() {
  return buffer_->view(layout_.dtype, Shape{layout_.tokens, layout_.kv_heads, layout_.head_dim});
}
TensorView KvBlock::v() {
  return buffer_->view(layout_.dtype, Shape{layout_.tokens, layout_.kv_heads, layout_.head_dim},
                       layout_.v_offset_bytes());
}
TensorView KvBlock::pos() { return buffer_->view(DType::kI32, Shape{layout_.tokens}, layout_.pos_offset_bytes()); }
TensorView KvBlock::seg() { return buffer_->view(DType::kI32, Shape{layout_.tokens}, layout_.seg_offset_bytes()); }

DkvBlock::DkvBlock(device::Device& dev, std::int64_t tokens, std::int64_t kv_heads, std::int64_t head_dim)
    : tokens_(tokens),
      kv_heads_(kv_heads),
      head_dim_(head_dim),
      buffer_(dev.allocate(2 * static_cast<std::size_t>(tokens * kv_heads * head_dim) * sizeof(float))) {}

}  // namespace ra::ring

// The message that travels the ring: one rank's K and V (Hkv heads only, storage dtype)
// and the positions and segments of its tokens, packed into one device buffer so that a
// hop is a single send/receive. Each part starts on a 64-byte boundary.
//
//   [ K  n·Hkv·D | V  n·Hkv·D | pos  n × i32 | seg  n × i32 ]
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/attention_op.h"
#include "runtime/device/device.h"

namespace ra::ring {

struct KvLayout {
  std::int64_t tokens = 0, kv_heads = 0, head_dim = 0;
  DType dtype = DType::kF32;

  std::size_t kv_part_bytes() const;  // one of K or V
  std::size_t v_offset_bytes() const;
  std::size_t pos_offset_bytes() const;
  std::size_t seg_offset_bytes() const;
  std::size_t total_bytes() const;
};

class KvBlock {
 public:
  KvBlock(device::Device& dev, const KvLayout& layout);
  TensorView bytes() { return buffer_->view(DType::kU8, Shape{static_cast<std::int64_t>(layout_.total_bytes())}); }
  TensorView k();
  TensorView v();
  TensorView pos();
  TensorView seg();
  kernels::TokenMeta meta() { return {pos(), seg()}; }

 private:
  KvLayout layout_;
  std::unique_ptr<device::DeviceBuffer> buffer_;
};

// fp32 dK and dV of one block in one buffer: [2, n, Hkv, D].
class DkvBlock {
 public:
  DkvBlock(device::Device& dev, std::int64_t tokens, std::int64_t kv_heads, std::int64_t head_dim);
  TensorView all() { return buffer_->view(DType::kF32, Shape{2, tokens_, kv_heads_, head_dim_}); }
  TensorView dk() { return buffer_->view(DType::kF32, Shape{tokens_, kv_heads_, head_dim_}); }
  TensorView dv() { return buffer_->view(DType::kF32, Shape{tokens_, kv_heads_, head_dim_}, half_bytes()); }

 private:
  std::size_t half_bytes() const { return static_cast<std::size_t>(tokens_ * kv_heads_ * head_dim_) * sizeof(float); }
  std::int64_t tokens_, kv_heads_, head_dim_;
  std::unique_ptr<device::DeviceBuffer> buffer_;
};

}  // namespace ra::ring

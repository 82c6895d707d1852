// The memory model (runtime/plan/memory_model.h) term by term against what the code
// really allocates: the ring and `ringattn bench`'s run on a device that counts its
// allocations, at P = 1 and 2. The estimate's device terms must equal the peak of
// device bytes allocated, byte for byte — a buffer added to the ring or the bench
// without its term in the model fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/cpu/cpu_attention.h"
#include "runtime/bench/ring_bench.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/layout/sharding.h"
#include "runtime/plan/memory_model.h"
#include "runtime/trace/timeline.h"
#include "tests/distributed/mpi_test_env.h"

namespace ra::plan {
namespace {

using testing::world;

// A CPU device that counts the bytes of its live buffers and their peak.
class CountingDevice final : public device::Device {
 public:
  DeviceKind kind() const override { return inner_.kind(); }
  std::unique_ptr<device::Stream> create_stream(std::string name) override { return inner_.create_stream(name); }
  std::unique_ptr<device::Stream> create_host_stream(std::string name) override {
    return inner_.create_host_stream(name);
  }
  std::unique_ptr<device::Event> create_event() override { return inner_.create_event(); }
  std::unique_ptr<device::DeviceBuffer> allocate(std::size_t size_bytes) override {
    live_ += static_cast<std::int64_t>(size_bytes);
    peak_ = std::max(peak_.load(), live_.load());
    return std::make_unique<Counted>(inner_.allocate(size_bytes), live_);
  }
  void copy(TensorView dst, ConstTensorView src, device::Stream& s) override { inner_.copy(dst, src, s); }
  void fill_zero(TensorView dst, device::Stream& s) override { inner_.fill_zero(dst, s); }
  void add_f32(TensorView dst, ConstTensorView src, device::Stream& s) override { inner_.add_f32(dst, src, s); }
  void upload(TensorView dst, const void* src, device::Stream& s) override { inner_.upload(dst, src, s); }
  void download(void* dst, ConstTensorView src, device::Stream& s) override { inner_.download(dst, src, s); }
  void set_observer(device::StreamObserver* o) override { inner_.set_observer(o); }

  std::int64_t live_bytes() const { return live_; }
  std::int64_t peak_bytes() const { return peak_; }
  void reset_peak() { peak_ = live_.load(); }

 private:
  class Counted final : public device::DeviceBuffer {
   public:
    Counted(std::unique_ptr<device::DeviceBuffer> inner, std::atomic<std::int64_t>& live)
        : inner_(std::move(inner)), live_(live) {}
    ~Counted() override { live_ -= static_cast<std::int64_t>(inner_->size_bytes()); }
    std::size_t size_bytes() const override { return inner_->size_bytes(); }
    void* raw() override { return inner_->raw(); }
    DeviceKind kind() const override { return inner_->kind(); }

   private:
    std::unique_ptr<device::DeviceBuffer> inner_;
    std::atomic<std::int64_t>& live_;
  };

  device::cpu::CpuDevice inner_;
  std::atomic<std::int64_t> live_{0}, peak_{0};
};

struct BenchCase {
  layout::Layout layout;
  numerics::MaskKind mask;
  std::int64_t tokens_per_rank, heads, kv_heads, head_dim;
  DType dtype;
};

class PlanMemory : public ::testing::TestWithParam<BenchCase> {};

TEST_P(PlanMemory, BenchDeviceTermsAreThePeakOfDeviceAllocations) {
  const BenchCase& bc = GetParam();
  const int p = world().size();
  CountingDevice dev;
  auto compute = dev.create_stream("compute");
  auto comm_stream = dev.create_stream("comm");
  kernels::cpu::CpuAttention op(kernels::cpu::CpuAttentionOptions{});
  trace::Timeline timeline(world().rank());
  dev.set_observer(&timeline);
  const ring::RingContext ctx{dev, *compute, *comm_stream, world(), op};
  bench::RingBenchOptions o;
  o.layout = bc.layout;
  o.seq_len = bc.tokens_per_rank * p;
  o.heads = bc.heads;
  o.kv_heads = bc.kv_heads;
  o.head_dim = bc.head_dim;
  o.mask = {bc.mask, 0};
  o.dtype = bc.dtype;
  o.warmup_reps = 0;
  o.timed_reps = 1;
  ASSERT_EQ(dev.live_bytes(), 0);
  bench::run_ring_bench(ctx, timeline, o);
  EXPECT_EQ(dev.live_bytes(), 0) << "the bench left device buffers behind";
  const std::int64_t shard = layout::plan_shards(o.layout, p, o.seq_len).shard_len;
  const MemoryEstimate m = bench_memory({shard, o.heads, o.kv_heads, o.head_dim, o.dtype, p});
  EXPECT_EQ(dev.peak_bytes(), m.bytes_on(Residence::kDevice))
      << "shard " << shard << " tokens: the model says " << m.bytes_on(Residence::kDevice)
      << " device bytes, the bench allocated at most " << dev.peak_bytes();
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PlanMemory,
    ::testing::Values(BenchCase{layout::Layout::kZigzag, numerics::MaskKind::kCausal, 96, 2, 2, 16, DType::kF32},
                      BenchCase{layout::Layout::kContiguous, numerics::MaskKind::kBidirectional, 61, 4, 2, 8,
                                DType::kBF16},
                      BenchCase{layout::Layout::kStriped, numerics::MaskKind::kCausal, 128, 3, 1, 32, DType::kF32}));

TEST(PlanMemoryRing, RingBuffersAreWhatTheRingAllocates) {
  // RingAttention alone: its constructor allocates every buffer it will use.
  CountingDevice dev;
  auto compute = dev.create_stream("compute");
  auto comm_stream = dev.create_stream("comm");
  kernels::cpu::CpuAttention op(kernels::cpu::CpuAttentionOptions{});
  const ring::RingContext ctx{dev, *compute, *comm_stream, world(), op};
  const std::int64_t n = 40, hq = 4, hkv = 2, d = 8;
  std::vector<float> q(static_cast<std::size_t>(n * hq * d)), kv(static_cast<std::size_t>(n * hkv * d));
  std::vector<std::int32_t> pos(static_cast<std::size_t>(n)), seg(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < n; ++i)
    pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(world().rank() * n + i);
  const ConstTensorView qv(q.data(), DType::kF32, Shape{n, hq, d}), kvv(kv.data(), DType::kF32, Shape{n, hkv, d});
  const kernels::TokenMeta meta{ConstTensorView(pos.data(), DType::kI32, Shape{n}),
                                ConstTensorView(seg.data(), DType::kI32, Shape{n})};
  ring::RingShard shard{qv, kvv, kvv, {meta, meta}, {meta, meta}};
  const std::int64_t before = dev.live_bytes();
  {
    kernels::MaskSpec mask;
    mask.rule = {numerics::MaskKind::kCausal, 0};
    ring::RingAttention ring(ctx, mask, shard);
    const MemoryEstimate m = ring_buffers({n, hq, hkv, d, DType::kF32, world().size()});
    EXPECT_EQ(dev.live_bytes() - before, m.bytes_on(Residence::kDevice));
  }
  EXPECT_EQ(dev.live_bytes(), before);
}

}  // namespace
}  // namespace ra::plan

#include "tests/support/ring_harness.h"

#include "kernels/cpu/cpu_attention.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/core/check.h"
#include "runtime/ring/full_sequence.h"
#include "tests/support/storage.h"

namespace ra::testing {
namespace {

// Counts the block computations the ring asked for (schedule skipping is observable).
class CountingOp final : public kernels::AttentionBlockOp {
 public:
  explicit CountingOp(kernels::AttentionBlockOp& inner) : inner_(inner) {}
  const kernels::BackendSupport& support() const override { return inner_.support(); }
  void init_state(const kernels::SoftmaxState& s) override { inner_.init_state(s); }
  void forward_accumulate(const kernels::ForwardArgs& a) override {
    ++forward_calls;
    inner_.forward_accumulate(a);
  }
  void finalize(const kernels::FinalizeArgs& a) override { inner_.finalize(a); }
  void backward_prepare(const kernels::BackwardPrepareArgs& a) override { inner_.backward_prepare(a); }
  void backward(const kernels::BackwardArgs& a) override {
    ++backward_calls;
    inner_.backward(a);
  }
  void merge(const kernels::MergeArgs& a) override { inner_.merge(a); }
  int forward_calls = 0, backward_calls = 0;

 private:
  kernels::AttentionBlockOp& inner_;
};

}  // namespace

RingRun run_ring(comm::Communicator& comm, const AttnCase& c, const RingRunOptions& options) {
  RA_CHECK_EQ(InternalError, c.lq, c.lk, "ring harness: self-attention cases only");
  const DType st = c.storage;
  const HostBuffer q = to_storage(c.q, st), k = to_storage(c.k, st), v = to_storage(c.v, st),
                   dout = to_storage(c.dout, st);
  auto meta = [&](const std::vector<std::int32_t>& pos, const std::vector<std::int32_t>& seg) {
    return kernels::TokenMeta{ConstTensorView(pos.data(), DType::kI32, Shape{c.lq}),
                              ConstTensorView(seg.data(), DType::kI32, Shape{c.lq})};
  };
  ring::FullSequence in{q.view(st, Shape{c.lq, c.hq, c.d}),
                        k.view(st, Shape{c.lk, c.hkv, c.d}),
                        v.view(st, Shape{c.lk, c.hkv, c.d}),
                        dout.view(st, Shape{c.lq, c.hq, c.d}),
                        meta(c.pos_q, c.seg_q),
                        meta(c.pos_k, c.seg_k),
                        {}};
  if (c.alibi) in.alibi_slopes = ConstTensorView(c.slopes.data(), DType::kF32, Shape{c.hq});
  const ring::FullSequenceOptions o{
      options.layout,
      {c.causal ? kernels::MaskKind::kCausal : kernels::MaskKind::kBidirectional, c.window},
      static_cast<float>(c.scale)};
  kernels::cpu::CpuAttention cpu_op(options.kernel);
  CountingOp op(options.op != nullptr ? *options.op : cpu_op);
  device::cpu::CpuDevice dev;
  const std::unique_ptr<device::Stream> compute = dev.create_stream("compute"), comm_stream = dev.create_stream("comm");
  ring::FullSequenceResult r = ring::ring_attention_full({dev, *compute, *comm_stream, comm, op}, in, o);
  RingRun run;
  run.result.o = std::move(r.o);
  run.result.lse = std::move(r.lse);
  run.result.dq = std::move(r.dq);
  run.result.dk = std::move(r.dk);
  run.result.dv = std::move(r.dv);
  run.schedule = r.schedule;
  run.kv_bytes = r.kv_bytes;
  run.dkv_bytes = r.dkv_bytes;
  run.forward_blocks = op.forward_calls;
  run.backward_blocks = op.backward_calls;
  return run;
}

}  // namespace ra::testing

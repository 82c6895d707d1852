#include "tests/support/run_block_op.h"

#include <numeric>

#include "runtime/core/tensor_view.h"
#include "tests/support/storage.h"

namespace ra::testing {
namespace {

// Rows [r0, r0+n) of a row-major tensor whose first dim is tokens.
template <typename View>
View rows(const View& t, std::int64_t r0, std::int64_t n) {
  Shape s = t.shape();
  const std::int64_t row_elems = t.numel_elems() / (s.dims[0] ? s.dims[0] : 1);
  s.dims[0] = n;
  using Byte = std::conditional_t<std::is_same_v<View, TensorView>, char, const char>;
  return View(static_cast<Byte*>(t.raw()) + static_cast<std::size_t>(r0 * row_elems) * dtype_size_bytes(t.dtype()),
              t.dtype(), s);
}

}  // namespace

AttnResult<float> run_block_op(kernels::AttentionBlockOp& op, const AttnCase& c, const BlockPlan& plan) {
  const DType st = c.storage;
  const Shape q_shape{c.lq, c.hq, c.d}, kv_shape{c.lk, c.hkv, c.d}, rows_shape{c.hq, c.lq};
  HostBuffer q = to_storage(c.q, st), k = to_storage(c.k, st), v = to_storage(c.v, st), dout = to_storage(c.dout, st);
  HostBuffer o = HostBuffer::for_shape(st, q_shape);
  HostBuffer acc = HostBuffer::for_shape(DType::kF32, q_shape), mx = HostBuffer::for_shape(DType::kF32, rows_shape),
             sm = HostBuffer::for_shape(DType::kF32, rows_shape), lse = HostBuffer::for_shape(DType::kF32, rows_shape),
             dsum = HostBuffer::for_shape(DType::kF32, rows_shape);
  HostBuffer dq = HostBuffer::for_shape(DType::kF32, q_shape), dk = HostBuffer::for_shape(DType::kF32, kv_shape),
             dv = HostBuffer::for_shape(DType::kF32, kv_shape);
  dq.fill_zero();
  dk.fill_zero();
  dv.fill_zero();
  const ConstTensorView pos_q(c.pos_q.data(), DType::kI32, Shape{c.lq}),
      seg_q(c.seg_q.data(), DType::kI32, Shape{c.lq});
  const ConstTensorView pos_k(c.pos_k.data(), DType::kI32, Shape{c.lk}),
      seg_k(c.seg_k.data(), DType::kI32, Shape{c.lk});
  kernels::MaskSpec mask;
  mask.rule = {c.causal ? kernels::MaskKind::kCausal : kernels::MaskKind::kBidirectional, c.window};
  mask.scale = static_cast<float>(c.scale);
  if (c.alibi) mask.alibi_slopes = ConstTensorView(c.slopes.data(), DType::kF32, Shape{c.hq});

  std::vector<std::int64_t> starts = plan.block_starts.empty() ? std::vector<std::int64_t>{0} : plan.block_starts;
  std::vector<int> order = plan.order;
  if (order.empty()) {
    order.resize(starts.size());
    std::iota(order.begin(), order.end(), 0);
  }
  const kernels::SoftmaxState state{acc.view(DType::kF32, q_shape), mx.view(DType::kF32, rows_shape),
                                    sm.view(DType::kF32, rows_shape)};
  const ConstTensorView qv = q.view(st, q_shape), kv = k.view(st, kv_shape), vv = v.view(st, kv_shape),
                        dov = dout.view(st, q_shape);
  op.init_state(state);
  auto block = [&](int b, auto&& fn) {
    const std::int64_t b0 = starts[static_cast<std::size_t>(b)];
    const std::int64_t b1 =
        static_cast<std::size_t>(b) + 1 < starts.size() ? starts[static_cast<std::size_t>(b) + 1] : c.lk;
    fn(b0, b1 - b0);
  };
  for (int b : order) {
    block(b, [&](std::int64_t r0, std::int64_t n) {
      op.forward_accumulate({qv,
                             rows(kv, r0, n),
                             rows(vv, r0, n),
                             {pos_q, seg_q},
                             {rows(pos_k, r0, n), rows(seg_k, r0, n)},
                             mask,
                             state});
    });
  }
  op.finalize({state, o.view(st, q_shape), lse.view(DType::kF32, rows_shape)});
  op.backward_prepare({o.view(st, q_shape), dov, dsum.view(DType::kF32, rows_shape)});
  const TensorView dkv = dk.view(DType::kF32, kv_shape), dvv = dv.view(DType::kF32, kv_shape);
  for (int b : order) {
    block(b, [&](std::int64_t r0, std::int64_t n) {
      op.backward({qv,
                   rows(kv, r0, n),
                   rows(vv, r0, n),
                   dov,
                   lse.view(DType::kF32, rows_shape),
                   dsum.view(DType::kF32, rows_shape),
                   {pos_q, seg_q},
                   {rows(pos_k, r0, n), rows(seg_k, r0, n)},
                   mask,
                   dq.view(DType::kF32, q_shape),
                   rows(dkv, r0, n),
                   rows(dvv, r0, n)});
    });
  }
  AttnResult<float> r;
  r.o = to_floats(o.view(st, q_shape));
  r.lse = to_floats(lse.view(DType::kF32, rows_shape));
  r.dq = to_floats(dq.view(DType::kF32, q_shape));
  r.dk = to_floats(dk.view(DType::kF32, kv_shape));
  r.dv = to_floats(dv.view(DType::kF32, kv_shape));
  return r;
}

}  // namespace ra::testing

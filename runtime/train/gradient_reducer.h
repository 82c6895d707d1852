// Sums the device gradients over the ring (sp) and the data-parallel groups (dp) in
// buckets, overlapped with the backward (docs/training.md, "Gradient reduction"):
//
//   model stream   … bwd layer 3 ─ bwd layer 2 ─ bwd layer 1 ─ bwd layer 0 ─ embed ─┐   wait ─ AdamW
//                              │event        │event                                  │        │
//   reduce stream              └ all_reduce  └ all_reduce (bucket: layers 2..1) ……… rest ─ event
//
// Each bucket GradBuckets flushes is enqueued on the reduce stream behind an event of
// the model stream, as an all-reduce over sp and then over dp on communicators split
// off for it (so their order never meets the ring's exchanges or the host collectives).
// finish() reduces the rest and makes the model stream wait, so the optimizer launched
// after it sees the world's sums. The sum over sp then dp is the world's sum in another
// order; bucket boundaries follow the config, so a run is reproducible (resume bitwise).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "runtime/core/tensor_view.h"
#include "runtime/device/device.h"
#include "runtime/train/grad_buckets.h"

namespace ra::train {

class GradientReducer {
 public:
  // Collective over sp and over dp (splits them). `reduce_stream` must be of the kind
  // their enqueue_all_reduce takes; bucket_elems = 0: one all-reduce after the backward.
  GradientReducer(device::Device& device, device::Stream& model_stream, std::unique_ptr<device::Stream> reduce_stream,
                  comm::Communicator& sp, comm::Communicator& dp, std::int64_t total_elems, std::int64_t bucket_elems);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // A step's gradients: f32 [total_elems] on the device.
  void begin(TensorView grads);
  // From DeviceTransformer's GradientsReadyFn: reduces whatever bucket this completes.
  void ready(std::int64_t first_elem, std::int64_t elems);
  // After the backward returned: reduces the rest; the model stream waits for all of it.
  // Returns the seconds the host waited for reductions past the end of the backward
  // (the exposed part of the gradient reduction).
  double finish();

  int buckets_last_step() const { return buckets_; }

 private:
  void reduce(const GradRange& r);

  device::Device& device_;
  device::Stream& model_stream_;
  std::unique_ptr<device::Stream> reduce_stream_;
  std::unique_ptr<comm::Communicator> sp_, dp_;
  GradBuckets plan_;
  TensorView grads_;
  std::vector<std::unique_ptr<device::Event>> events_;  // one per bucket of a step, reused
  std::unique_ptr<device::Event> done_;
  int buckets_ = 0;
};

}  // namespace ra::train

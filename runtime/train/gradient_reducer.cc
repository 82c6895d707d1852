#include "runtime/train/gradient_reducer.h"

#include "runtime/core/check.h"

namespace ra::train {
namespace {

// A communicator of one rank sums nothing: no split, no reduction.
std::unique_ptr<comm::Communicator> own_copy(comm::Communicator& c) {
  return c.size() > 1 ? c.split(0, c.rank()) : nullptr;
}

}  // namespace

GradientReducer::GradientReducer(device::Device& device, device::Stream& model_stream,
                                 std::unique_ptr<device::Stream> reduce_stream, comm::Communicator& sp,
                                 comm::Communicator& dp, std::int64_t total_elems, std::int64_t bucket_elems)
    : device_(device),
      model_stream_(model_stream),
      reduce_stream_(std::move(reduce_stream)),
      sp_(own_copy(sp)),
      dp_(own_copy(dp)),
      plan_(total_elems, bucket_elems),
      done_(device.create_event()) {
  RA_CHECK(InternalError, reduce_stream_ != nullptr, "gradient reducer without a stream");
}

GradientReducer::~GradientReducer() {
  // Reductions still queued (a step that failed midway) reference the gradients and the
  // communicators: let them run out (or fail) before either goes.
  try {
    reduce_stream_->synchronize();
  } catch (...) {  // the step's own error has been reported; nothing to add here
  }
}

void GradientReducer::begin(TensorView grads) {
  grads_ = grads;
  plan_.begin();
  buckets_ = 0;
}

void GradientReducer::ready(std::int64_t first_elem, std::int64_t elems) {
  for (const GradRange& r : plan_.ready({first_elem, elems})) reduce(r);
}

double GradientReducer::finish() {
  for (const GradRange& r : plan_.finish()) reduce(r);
  // The backward has returned (its stream is idle): what the host waits for now is the
  // reduction that did not hide behind it.
  const auto t0 = std::chrono::steady_clock::now();
  reduce_stream_->record(*done_);
  done_->synchronize();
  model_stream_.wait(*done_);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void GradientReducer::reduce(const GradRange& r) {
  if (sp_ == nullptr && dp_ == nullptr) return;
  const auto i = static_cast<std::size_t>(buckets_++);
  if (events_.size() <= i) events_.push_back(device_.create_event());
  // The bucket's last writes are queued on the model stream: the reduction waits for them
  // there, the host does not.
  model_stream_.record(*events_[i]);
  reduce_stream_->wait(*events_[i]);
  TensorView bucket(grads_.data<float>() + r.first_elem, DType::kF32, Shape{r.elems}, grads_.device());
  if (sp_ != nullptr) sp_->enqueue_all_reduce(bucket, comm::ReduceOp::kSum, *reduce_stream_);
  if (dp_ != nullptr) dp_->enqueue_all_reduce(bucket, comm::ReduceOp::kSum, *reduce_stream_);
}

}  // namespace ra::train

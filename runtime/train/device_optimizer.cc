#include "runtime/train/device_optimizer.h"

#include <algorithm>

#include "kernels/cuda/host/model_grid.h"
#include "runtime/core/check.h"

namespace ra::train {

namespace kc = kernels::cuda;

// Device memory of the optimizer: moments, decay mask, the Σg² reduction's workspace and
// result, the norm and the clip factor (both left on the device by the clip kernel).
struct DeviceAdamW::State {
  std::unique_ptr<device::DeviceBuffer> m, v, decay, partial_sums, partial_counts, sumsq, norm, clip_scale;
  std::vector<std::uint8_t> decay_host;  // kept until the upload has been passed (constructor synchronizes)
};

namespace {

std::unique_ptr<device::DeviceBuffer> allocate(device::Device& dev, std::size_t bytes) {
  return dev.allocate(std::max<std::size_t>(bytes, 1));
}

}  // namespace

DeviceAdamW::DeviceAdamW(const AdamWOptions& options, const model::ParamLayout& layout, device::Device& device,
                         device::Stream& stream, const kc::ModelKernels& kernels)
    : o_(options),
      elems_(layout.total_elems()),
      device_(device),
      stream_(stream),
      kernels_(kernels),
      state_(std::make_unique<State>()) {
  RA_CHECK(UsageError, o_.beta1 >= 0 && o_.beta1 < 1 && o_.beta2 >= 0 && o_.beta2 < 1, "AdamW betas must be in [0, 1)");
  const auto n = static_cast<std::size_t>(elems_);
  const std::int64_t partials = kc::reduce_workspace_elems(elems_);
  State& s = *state_;
  s.m = allocate(device, n * sizeof(float));
  s.v = allocate(device, n * sizeof(float));
  s.decay = allocate(device, n);
  s.partial_sums = allocate(device, static_cast<std::size_t>(partials) * sizeof(double));
  s.partial_counts = allocate(device, static_cast<std::size_t>(partials) * sizeof(std::int64_t));
  s.sumsq = allocate(device, sizeof(kc::DeviceSum));
  s.norm = allocate(device, sizeof(double));
  s.clip_scale = allocate(device, sizeof(float));
  device.fill_zero(s.m->view(DType::kF32, Shape{elems_}), stream);
  device.fill_zero(s.v->view(DType::kF32, Shape{elems_}), stream);
  // Decay matrices only: norm gains (vectors) are scales, not weights to shrink (optimizer.cc).
  s.decay_host.assign(n, 0);
  for (const model::ParamSlice& sl : layout.slices())
    if (sl.cols > 1) std::fill_n(s.decay_host.begin() + sl.offset_elems, sl.elems(), std::uint8_t{1});
  device.upload(s.decay->view(DType::kU8, Shape{elems_}), s.decay_host.data(), stream);
  stream.synchronize();
}

DeviceAdamW::~DeviceAdamW() {
  try {
    stream_.synchronize();  // queued updates read the buffers
  } catch (...) {           // NOLINT(bugprone-empty-catch): the update that failed has reported it
  }
}

double DeviceAdamW::enqueue_update(TensorView params, ConstTensorView grads, std::int64_t step) {
  RA_CHECK(UsageError, params.dtype() == DType::kF32 && grads.dtype() == DType::kF32,
           "device AdamW: params and grads must be f32");
  RA_CHECK_EQ(UsageError, params.numel_elems(), elems_, "device AdamW: parameter elements");
  RA_CHECK_EQ(UsageError, grads.numel_elems(), elems_, "device AdamW: gradient elements");
  State& s = *state_;
  const double lr = learning_rate(o_, step);
  const kc::AdamWScalars scalars = kc::adamw_scalars({o_.beta1, o_.beta2, o_.eps, o_.weight_decay}, lr, step);
  const auto* g = static_cast<const float*>(grads.raw());
  auto* sumsq = static_cast<kc::DeviceSum*>(s.sumsq->raw());
  auto* clip_scale = static_cast<float*>(s.clip_scale->raw());
  const kc::SumReduceParams reduce{g,
                                   nullptr,
                                   static_cast<double*>(s.partial_sums->raw()),
                                   static_cast<std::int64_t*>(s.partial_counts->raw()),
                                   sumsq,
                                   elems_,
                                   kc::ReduceTerm::kSquare};
  // grad_clip 0 means no clipping: the kernel's max_norm 0 gives clip_scale 1.
  const kc::ClipFactorParams clip{sumsq, o_.grad_clip, static_cast<double*>(s.norm->raw()), clip_scale};
  const kc::AdamWParams update{static_cast<float*>(params.raw()),
                               g,
                               static_cast<float*>(s.m->raw()),
                               static_cast<float*>(s.v->raw()),
                               static_cast<const std::uint8_t*>(s.decay->raw()),
                               clip_scale,
                               elems_,
                               scalars};
  const kc::ModelKernels& k = kernels_;
  device::Stream& st = stream_;
  // Three kernels back to back: the host never waits for the norm.
  st.launch("adamw", [&k, &st, reduce, clip, update] {
    k.sum_reduce(reduce, st.native_handle());
    k.clip_factor(clip, st.native_handle());
    k.adamw_update(update, st.native_handle());
  });
  return lr;
}

double DeviceAdamW::grad_norm() {
  double norm = 0;
  device_.download(&norm, ConstTensorView(state_->norm->raw(), DType::kF64, Shape{1}, device_.kind()), stream_);
  stream_.synchronize();
  return norm;
}

StepStats DeviceAdamW::update(TensorView params, ConstTensorView grads, std::int64_t step) {
  StepStats st;
  st.lr = enqueue_update(params, grads, step);
  st.grad_norm = grad_norm();
  return st;
}

void DeviceAdamW::download_moments(std::vector<float>& m, std::vector<float>& v) {
  m.resize(static_cast<std::size_t>(elems_));
  v.resize(static_cast<std::size_t>(elems_));
  device_.download(m.data(), state_->m->view(DType::kF32, Shape{elems_}), stream_);
  device_.download(v.data(), state_->v->view(DType::kF32, Shape{elems_}), stream_);
}

void DeviceAdamW::upload_moments(const std::vector<float>& m, const std::vector<float>& v) {
  RA_CHECK(UsageError, static_cast<std::int64_t>(m.size()) == elems_ && static_cast<std::int64_t>(v.size()) == elems_,
           "device AdamW: moment elements");
  device_.upload(state_->m->view(DType::kF32, Shape{elems_}), m.data(), stream_);
  device_.upload(state_->v->view(DType::kF32, Shape{elems_}), v.data(), stream_);
}

}  // namespace ra::train

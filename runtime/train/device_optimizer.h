// AdamW on the device: optimizer.h's update (same schedule, clipping and roundings) with
// parameters, gradients and moments in device memory, through the ModelKernels' sum,
// clip-factor and update kernels:
//
//   Σg²          sum_reduce (kSquare), double, fixed order      → ‖g‖₂ stays on the device
//   clip_scale   clip_factor: max_norm/‖g‖ when ‖g‖ > max_norm, else 1 (double)
//   θ, m, v      adamw_update: g·clip_scale, then optimizer.h's formulas in f32
//
// The learning rate is learning_rate(options, step) and the bias corrections
// adamw_scalars' (the CPU optimizer's f32 roundings), computed on the host; the
// weight-decay mask (matrices decay, vectors not) is built from the ParamLayout like the
// CPU optimizer's. Unlike the CPU optimizer the gradients are not clipped in place.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cuda/model/model_dispatch.h"
#include "runtime/core/tensor_view.h"
#include "runtime/device/device.h"
#include "runtime/model/params.h"
#include "runtime/train/optimizer.h"

namespace ra::train {

class DeviceAdamW {
 public:
  // Allocates m, v (zero), the decay mask and the workspaces on `device`; work goes on
  // `stream`.
  DeviceAdamW(const AdamWOptions& options, const model::ParamLayout& layout, device::Device& device,
              device::Stream& stream, const kernels::cuda::ModelKernels& kernels);
  ~DeviceAdamW();
  DeviceAdamW(const DeviceAdamW&) = delete;
  DeviceAdamW& operator=(const DeviceAdamW&) = delete;

  // Enqueues one update of `params` from `grads` (f32 device views of
  // layout.total_elems()); `step` counts the updates done before this one. Returns the
  // learning rate; never waits for the device.
  double enqueue_update(TensorView params, ConstTensorView grads, std::int64_t step);
  // The last update's ‖g‖₂ before clipping: waits for the stream.
  double grad_norm();
  // enqueue_update, then grad_norm: the CPU optimizer's StepStats.
  StepStats update(TensorView params, ConstTensorView grads, std::int64_t step);

  // The moments (for checkpoints), in the stream's order: the host vectors must stay
  // valid until the stream passed them (synchronize).
  void download_moments(std::vector<float>& m, std::vector<float>& v);
  void upload_moments(const std::vector<float>& m, const std::vector<float>& v);

 private:
  struct State;
  AdamWOptions o_;
  std::int64_t elems_ = 0;
  device::Device& device_;
  device::Stream& stream_;
  const kernels::cuda::ModelKernels& kernels_;
  std::unique_ptr<State> state_;
};

}  // namespace ra::train

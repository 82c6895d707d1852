// The decoder-only transformer of transformer.h with parameters, activations and
// gradients in device memory: the same math, the same flat ParamLayout (checkpoints and
// the CPU model interoperate), the same activation recomputation (the forward keeps each
// layer's input only; the backward recomputes one layer at a time, attention included).
//
// What runs where (docs/training.md, "On a device"):
//   GEMMs (every linear layer, forward and backward)  gemm::DeviceGemm, fp32 compute
//   embedding, RMSNorm, RoPE, SwiGLU, cross-entropy,
//   the loss sum and valid-row count, dtype casts       the ModelKernels table (kernels/cuda/model)
//   residual copies, zeroing                            device::Device (copy, fill_zero)
//   attention                                           AttentionFn<float> on device pointers
// all enqueued on one stream; the host waits once per call, for the loss (StepLoss).
//
// Precision (DeviceModelOptions): fp32 everywhere (kF32, the default), or bf16
// activations and GEMM operands with fp32 master weights, gradients and statistics
// (kBf16Activations); the math is fp32 either way (fp32 accumulation in every kernel and
// GEMM).
//
// The model names no backend: it gets the device, the stream, the kernel table (nvcc's
// build with device pointers, or the emulator's with host pointers) and a GEMM engine
// from its caller.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/gemm/device_gemm.h"
#include "runtime/core/tensor_view.h"
#include "runtime/device/device.h"
#include "runtime/model/attention_fn.h"
#include "runtime/model/model_config.h"
#include "runtime/model/params.h"
#include "runtime/model/transformer.h"

namespace ra::model {

// This rank's tokens of a batch, every array [n] in device memory: token ids, targets
// (−1: no loss) and global positions (RoPE). TokenShard's fields, on the device.
struct DeviceTokenShard {
  const std::int32_t* tokens = nullptr;
  const std::int32_t* targets = nullptr;
  const std::int32_t* positions = nullptr;
  std::int64_t n = 0;
};

// Where the model runs. Every kernel, GEMM and copy is enqueued on `stream`; `gemm` must
// issue its work in that stream's order (a cuBLAS handle bound to the stream, or the CPU
// executor, which the model calls from inside the stream's work).
struct DeviceModelContext {
  device::Device& device;
  device::Stream& stream;
  const kernels::cuda::ModelKernels& kernels;
  gemm::DeviceGemm& gemm;
};

// The attention function's contract on the device (AttentionFn<float> with device
// pointers, shapes as in attention_fn.h): it is called from the host while its inputs
// (q, k, v; o, lse, dout) may still be queued on the model's stream, so it must order
// itself after that stream (RingAttentionFn with `producer` set: an event; a host
// function: synchronize the stream first), and its outputs must be complete, or queued
// in the model stream's order, when it returns.
using DeviceAttentionFn = AttentionFn<float>;

// The dtypes of the activations and GEMM operands (docs/training.md, "On a device").
enum class DevicePrecision : std::uint8_t {
  // Everything f32 (activations, GEMM operands and outputs, gradients).
  kF32,
  // bf16 activations and GEMM operands (a bf16 copy of the weights, cast each call),
  // fp32 master weights, parameter gradients (GEMMs accumulate dW in f32), the residual
  // stream's gradient, norm statistics, logits and the loss. The attention function
  // still sees f32 q, k, v, o (exact widenings of the bf16 tensors).
  kBf16Activations,
};

struct DeviceModelOptions {
  DevicePrecision precision = DevicePrecision::kF32;
};

// Called on the host during forward_backward each time the backward has enqueued the
// last write to a range of the gradients, [first_elem, first_elem + elems): work
// launched on the model stream so far completes it, so a caller may record an event
// there and reduce the range on another stream while the backward goes on. The ranges
// are the layers' (ParamLayout::layer(l) … layer_end(l)), last layer first; the
// embedding, final norm and head are complete when forward_backward returns.
using GradientsReadyFn = std::function<void(std::int64_t first_elem, std::int64_t elems)>;

// What a program needs to run the model on its ring's device, from the composition root
// (backend::make_device_model_parts), so that it names no backend: the ModelKernels
// build of the device, a stream of the model's own on it, and a GEMM engine issuing its
// work in that stream's order. Destroy before the device (the stream is the device's).
struct DeviceModelParts {
  const kernels::cuda::ModelKernels* kernels = nullptr;
  std::unique_ptr<device::Stream> stream;
  std::unique_ptr<gemm::DeviceGemm> gemm;  // after `stream`: destroyed first (bound to it)
  // A stream for collectives over the gradients, of the kind the backend's sp and dp
  // communicators enqueue on (Communicator::enqueue_all_reduce): a CUDA stream for NCCL,
  // a host-worker stream for MPI and the staged transport.
  std::unique_ptr<device::Stream> reduce_stream;
};

class DeviceTransformer {
 public:
  DeviceTransformer(const ModelConfig& config, const DeviceModelContext& ctx, const DeviceModelOptions& options = {});
  ~DeviceTransformer();
  DeviceTransformer(const DeviceTransformer&) = delete;
  DeviceTransformer& operator=(const DeviceTransformer&) = delete;

  const ModelConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  const DeviceModelOptions& options() const { return options_; }

  // Transformer<float>::forward_backward on the device: returns this rank's loss sum and
  // count (waits for the stream), and adds ∂(Σ loss · loss_scale)/∂params into `grads`.
  // params, grads: f32 [layout().total_elems()] device views. `gradients_ready` (may be
  // empty) hears of each layer's gradients as the backward finishes them.
  StepLoss forward_backward(ConstTensorView params, const DeviceTokenShard& shard, DeviceAttentionFn& attention,
                            float loss_scale, TensorView grads, const GradientsReadyFn& gradients_ready = {});

  // Forward only: logits f32 [n, vocab] (device view), enqueued on the stream (no wait).
  void forward_logits(ConstTensorView params, const DeviceTokenShard& shard, DeviceAttentionFn& attention,
                      TensorView logits);

  // Bytes of device activations per token kept or live at once (the saved layer inputs,
  // one layer's working set, the head's tensors and per-row statistics).
  std::int64_t activation_bytes_per_token() const;

 private:
  struct Work;
  Work& begin_call(ConstTensorView params, std::int64_t n);
  void layer_forward(const DeviceTokenShard& s, DeviceAttentionFn& attention, std::int64_t l, void* x, void* x_out);
  void layer_backward(const DeviceTokenShard& s, DeviceAttentionFn& attention, std::int64_t l, void* x, float* grads);
  void final_logits(const void* x_last, std::int64_t n, float* logits);

  ModelConfig config_;
  ParamLayout layout_;
  DeviceModelContext ctx_;
  DeviceModelOptions options_;
  std::unique_ptr<Work> work_;
};

// DeviceTransformer::activation_bytes_per_token without a device (runtime/plan).
std::int64_t device_activation_bytes_per_token(const ModelConfig& config, DevicePrecision precision);

}  // namespace ra::model

#include "runtime/plan/step_plan.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "runtime/model/params.h"
#include "runtime/model/transformer.h"

namespace ra::plan {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Parameters a token's forward multiplies by (every matrix but the embedding lookup; a
// tied head is the embedding, multiplied once).
double matmul_params(const model::ModelConfig& c) {
  const double d = static_cast<double>(c.d_model), qf = static_cast<double>(c.q_features()),
               kf = static_cast<double>(c.kv_features()), hid = static_cast<double>(c.mlp_hidden);
  const double layer = d * (qf + 2 * kf) + qf * d + 3 * d * hid;
  return static_cast<double>(c.layers) * layer + d * static_cast<double>(c.vocab);
}

}  // namespace

StepPlan plan_step(const StepInputs& in, const HardwareProfile& hw) {
  StepPlan p;
  p.in = in;
  const model::ModelConfig& c = in.model;
  const bool host = in.placement == TrainPlacement::kHost;
  p.shard_tokens = layout::plan_shards(in.layout, in.sp, in.seq_len).shard_len;
  const std::int64_t tokens = in.batch * p.shard_tokens;  // this rank's, per step

  TrainShape shape;
  shape.model = c;
  shape.tokens = tokens;
  shape.eval_tokens = tokens;
  shape.placement = in.placement;
  shape.precision = in.precision;
  shape.sp = in.sp;
  p.memory = train_memory(shape);
  p.device_bytes = p.memory.bytes_on(host ? Residence::kHost : Residence::kDevice);
  // A GPU loses some to the CUDA context and the allocator; a calibrated CPU profile's
  // memory is what the node has available already.
  p.fits = static_cast<double>(p.device_bytes) <= hw.device_memory_gib * kGiB * (host ? 1.0 : 0.92);

  // The ring inside a node when sp fits in one (NVLink), across nodes otherwise. Its
  // storage: bf16 on GPUs (the device model stages it), f32 for the host model.
  const bool ring_in_node = in.sp <= hw.gpus_per_node;
  const RingMachine m = ring_machine(hw, /*bf16=*/!host, in.sp);
  RingProblem rp;
  rp.tokens_per_rank = p.shard_tokens;
  rp.sequences = in.batch;
  rp.sp = in.sp;
  rp.heads = c.heads;
  rp.kv_heads = c.kv_heads;
  rp.head_dim = c.head_dim;
  rp.storage = host ? DType::kF32 : DType::kBF16;
  rp.mask = c.mask;
  rp.layout = in.layout;
  p.ring = ring_time(rp, m);
  const double layers = static_cast<double>(c.layers);
  // Forward, the recomputed forward, the backward.
  p.attention_s = layers * (2 * p.ring.fwd_s + p.ring.bwd_s);
  p.exposed_comm_s = layers * (2 * p.ring.fwd_exposed_s + p.ring.bwd_exposed_s);

  const double t = static_cast<double>(tokens);
  if (host) {
    const model::HostStepWork work = model::host_step_work(c);
    p.gemm_s = work.gemm_flops_per_token * t / (hw.peak_tflops_fp32 * 1e12 * hw.gemm_efficiency);
    p.elementwise_s = work.elementwise_elems_per_token * t * hw.host_elementwise_ns_per_elem * 1e-9;
  } else {
    const double gemm_flops = t * 2.0 * matmul_params(c) * (1 + 2 + 1);  // forward, backward, recomputation
    const double peak =
        in.precision == model::DevicePrecision::kBf16Activations ? hw.peak_tflops_bf16 : hw.peak_tflops_fp32;
    p.gemm_s = gemm_flops / (peak * 1e12 * hw.gemm_efficiency);
  }

  // Gradient all-reduces: sp inside the ring's links, dp across nodes when sp fills a node.
  const double params = static_cast<double>(model::ParamLayout(c).total_elems());
  const double grad_bytes = params * 4.0;
  const auto ring_allreduce = [&](int k, double bytes, bool in_node) {
    if (k <= 1) return 0.0;
    const double gbps = in_node ? hw.intra_node_gbps : hw.inter_node_gbps;
    const double latency_us = in_node ? hw.intra_node_latency_us : hw.inter_node_latency_us;
    return 2.0 * (k - 1) / k * bytes / (gbps * 1e9) + 2.0 * (k - 1) * latency_us * 1e-6;
  };
  const int world = in.sp * in.dp;
  const bool world_in_node = world <= hw.gpus_per_node;
  if (host) {
    // The host engine: one blocking all-reduce over every rank after the backward.
    p.grad_reduce_s = ring_allreduce(world, grad_bytes, world_in_node);
    p.grad_exposed_s = p.grad_reduce_s;
  } else {
    p.grad_reduce_s =
        ring_allreduce(in.sp, grad_bytes, ring_in_node) + ring_allreduce(in.dp, grad_bytes, world_in_node);
    // Hidden behind the backward but for the last bucket and the embedding (reduced last).
    const double tail_bytes =
        std::min(grad_bytes, in.grad_bucket_mb * 1024 * 1024 + static_cast<double>(c.vocab * c.d_model) * 4.0);
    p.grad_exposed_s = grad_bytes > 0 ? p.grad_reduce_s * tail_bytes / grad_bytes : 0.0;
  }
  p.optimizer_s = hw.memory_gbps > 0 ? 8 * 4 * params / (hw.memory_gbps * 1e9) : 0.0;
  p.sync_s = 4 * ring_allreduce(world, 8, world_in_node);
  p.step_s = p.attention_s + p.gemm_s + p.elementwise_s + p.grad_exposed_s + p.optimizer_s + p.sync_s;

  const double global_tokens = static_cast<double>(in.batch * in.seq_len * in.dp);
  p.tokens_per_s = p.step_s > 0 ? global_tokens / p.step_s : 0.0;
  // Model FLOPs (no recomputation), the whole job.
  const double attn_pairs_flops = 3.5 * 4.0 * sequence_pairs(in.seq_len, c.mask) *
                                  static_cast<double>(c.head_dim * c.heads) * layers *
                                  static_cast<double>(in.batch * in.dp);
  p.model_flops = 6.0 * matmul_params(c) * global_tokens + attn_pairs_flops;
  const double peak_tflops = host ? hw.peak_tflops_fp32 : hw.peak_tflops_bf16;
  p.mfu = p.step_s > 0 ? p.model_flops / (p.step_s * static_cast<double>(world) * peak_tflops * 1e12) : 0.0;
  return p;
}

std::vector<StepPlan> candidates(const StepInputs& base, const HardwareProfile& hw, int gpus) {
  std::vector<int> sps;
  for (int sp = 1; sp <= gpus; sp *= 2) {
    if (gpus % sp == 0) sps.push_back(sp);
  }
  if (std::find(sps.begin(), sps.end(), gpus) == sps.end()) sps.push_back(gpus);
  std::vector<StepPlan> out;
  for (int sp : sps) {
    StepInputs in = base;
    in.sp = sp;
    in.dp = gpus / sp;
    out.push_back(plan_step(in, hw));
  }
  return out;
}

std::size_t recommend(const std::vector<StepPlan>& plans) {
  std::size_t best = 0;
  bool best_fits = false;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const StepPlan& p = plans[i];
    if (p.fits && (!best_fits || p.tokens_per_s > plans[best].tokens_per_s)) {
      best = i;
      best_fits = true;
    } else if (!best_fits && !p.fits && p.device_bytes < plans[best].device_bytes) {
      best = i;
    }
  }
  return best;
}

std::string fit_advice(const StepPlan& p, const HardwareProfile& hw) {
  if (p.fits) return {};
  std::ostringstream s;
  const bool host = p.in.placement == TrainPlacement::kHost;
  const double usable_bytes = hw.device_memory_gib * kGiB * (host ? 1.0 : 0.92);
  s << "does not fit: " << format_bytes(p.device_bytes) << (host ? " per rank, " : " per GPU, ")
    << format_bytes(static_cast<std::int64_t>(usable_bytes)) << " usable on a " << hw.name << ". ";
  std::vector<MemoryTerm> terms;
  for (const MemoryTerm& t : p.memory.terms) {
    if (t.where == (host ? Residence::kHost : Residence::kDevice)) terms.push_back(t);
  }
  std::sort(terms.begin(), terms.end(), [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  if (!terms.empty()) s << "Largest: " << terms[0].name << " " << format_bytes(terms[0].bytes) << ". ";
  // What no split of the sequence shrinks: the parameter state every rank holds in full.
  const std::int64_t params = model::ParamLayout(p.in.model).total_elems();
  const double replicated = static_cast<double>(params) * 16.0;  // f32 parameters, gradients, m, v
  if (replicated > 0.8 * usable_bytes) {
    s << "The parameter state alone (" << format_bytes(static_cast<std::int64_t>(replicated))
      << ": f32 parameters, gradients and AdamW moments, on every rank) leaves no room: ringattn does not shard it "
         "(ZeRO/FSDP) yet, so use a smaller model or a GPU with more memory";
    return s.str();
  }
  s << "To fit: more sequence-parallel ranks (each halving of the tokens per rank halves the activations and the "
       "ring), a smaller train.batch_size";
  if (!host && p.in.precision != model::DevicePrecision::kBf16Activations) s << ", model.compute: bf16";
  if (p.in.model.mask.window == 0) s << ", or a sliding window (attention.window)";
  return s.str();
}

}  // namespace ra::plan

// A training step's plan (runtime/plan/step_plan.h) on the host placement — the cpu
// backend's host model — against its parts computed here from their definitions: the
// GEMMs' FLOPs at the fp32 rate, the elementwise elements at the calibrated cost, one
// blocking gradient all-reduce over every rank, the ring in f32, everything in host
// memory; and the device placement of the same job for contrast.
#include "runtime/plan/step_plan.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace ra::plan {
namespace {

HardwareProfile cpu_node() {
  HardwareProfile h;
  h.name = "test node";
  h.device_memory_gib = 10;
  h.peak_tflops_bf16 = 0.4;
  h.peak_tflops_fp32 = 0.2;
  h.attention_efficiency = h.gemm_efficiency = 1;
  h.gpus_per_node = 2;
  h.memory_gbps = 20;
  h.intra_node_gbps = h.inter_node_gbps = 5;
  h.intra_node_latency_us = h.inter_node_latency_us = 50;
  h.host_elementwise_ns_per_elem = 2;
  return h;
}

StepInputs job(TrainPlacement placement) {
  StepInputs in;
  in.model.vocab = 256;
  in.model.d_model = 64;
  in.model.layers = 2;
  in.model.heads = 4;
  in.model.kv_heads = 2;
  in.model.head_dim = 16;
  in.model.mlp_hidden = 128;
  in.seq_len = 1024;
  in.batch = 2;
  in.sp = 2;
  in.dp = 1;
  in.layout = layout::Layout::kContiguous;
  in.placement = placement;
  in.precision = model::DevicePrecision::kF32;
  return in;
}

TEST(StepPlan, TheHostPlacementRunsTheHostModel) {
  const HardwareProfile hw = cpu_node();
  const StepPlan p = plan_step(job(TrainPlacement::kHost), hw);
  const double tokens = 2 * 512;  // batch × shard
  ASSERT_EQ(p.shard_tokens, 512);
  // d = 64, qf = 64, kf = 32, hidden 128, vocab 256, 2 layers: a layer's forward GEMMs are
  // 2·(64·128 + 64·64 + 3·64·128) = 73,728 FLOPs per token, run 4 times (forward,
  // recomputation, backward dx and dW); the head 2·64·256 = 32,768, 3 times.
  const double gemm_flops = tokens * (2 * 4 * 73728.0 + 3 * 32768.0);
  EXPECT_NEAR(p.gemm_s, gemm_flops / 0.2e12, 1e-12);
  // Per layer 3 × (4·64 + 128 + 64 + 32) elements, then 2·256 + 4·64 for the head and
  // embedding, at 2 ns each.
  EXPECT_NEAR(p.elementwise_s, tokens * (2 * 3 * 480.0 + 768.0) * 2e-9, 1e-12);
  // One blocking all-reduce of the f32 gradients over both ranks: none of it hidden.
  const double grad_bytes = 4.0 * static_cast<double>(model::ParamLayout(p.in.model).total_elems());
  EXPECT_NEAR(p.grad_reduce_s, grad_bytes / 5e9 + 2 * 50e-6, 1e-12);
  EXPECT_EQ(p.grad_exposed_s, p.grad_reduce_s);
  EXPECT_NEAR(p.optimizer_s, 8 * grad_bytes / 20e9, 1e-12);
  EXPECT_NEAR(p.sync_s, 4 * (8.0 / 5e9 + 2 * 50e-6), 1e-12);
  EXPECT_NEAR(p.step_s, p.attention_s + p.gemm_s + p.elementwise_s + p.grad_exposed_s + p.optimizer_s + p.sync_s,
              1e-12);
  // The ring's K/V travel in f32 (bf16 on the device), for both sequences of the batch.
  const double kv_bytes = 2 * (2.0 * 512 * 2 * 16 * 4 + 8 * 512);
  EXPECT_NEAR(p.ring.fwd_hop_s, kv_bytes / 5e9 + 50e-6, 1e-12);
  // Everything in host memory, and that is what must fit.
  for (const MemoryTerm& t : p.memory.terms) EXPECT_EQ(t.where, Residence::kHost) << t.name;
  EXPECT_EQ(p.device_bytes, p.memory.bytes_on(Residence::kHost));
  EXPECT_TRUE(p.fits);

  const StepPlan d = plan_step(job(TrainPlacement::kDevice), hw);
  EXPECT_EQ(d.elementwise_s, 0.0);
  EXPECT_LT(d.ring.fwd_hop_s, p.ring.fwd_hop_s);
  EXPECT_GT(d.memory.bytes_on(Residence::kDevice), 0);
}

// A host job too big for the node's memory says so per rank, and names host terms.
TEST(StepPlan, AHostJobThatDoesNotFitIsAdvisedInHostTerms) {
  HardwareProfile hw = cpu_node();
  hw.device_memory_gib = 0.01;
  StepInputs in = job(TrainPlacement::kHost);
  in.seq_len = 1 << 20;
  const StepPlan p = plan_step(in, hw);
  ASSERT_FALSE(p.fits);
  const std::string advice = fit_advice(p, hw);
  EXPECT_NE(advice.find("per rank"), std::string::npos) << advice;
  EXPECT_NE(advice.find("Largest: activations"), std::string::npos) << advice;
  EXPECT_EQ(advice.find("model.compute"), std::string::npos) << advice;
}

}  // namespace
}  // namespace ra::plan

// Hardware profiles: the shipped ones load; a bad one is refused naming file, key, rule.
#include "runtime/plan/hardware.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/core/error.h"

namespace ra::plan {
namespace {

namespace fs = std::filesystem;

TEST(Hardware, TheShippedProfilesLoad) {
  int loaded = 0;
  for (const auto& e : fs::directory_iterator(fs::path(RA_SOURCE_DIR) / "configs" / "hardware")) {
    const HardwareProfile h = load_hardware_profile(e.path().string());
    EXPECT_FALSE(h.name.empty()) << e.path();
    EXPECT_GT(h.peak_tflops_bf16, h.peak_tflops_fp32) << e.path();
    EXPECT_GE(h.intra_node_gbps, h.inter_node_gbps) << e.path();
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
}

std::string refusal(const std::string& yaml) {
  const fs::path p = fs::temp_directory_path() / ("ra_hw_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  std::ofstream(p) << yaml;
  try {
    load_hardware_profile(p.string());
  } catch (const UsageError& e) {
    fs::remove(p);
    return e.what();
  }
  fs::remove(p);
  return "";
}

TEST(Hardware, BadProfilesAreRefusedNamingTheKey) {
  const std::string good =
      std::string("name: x\ndevice_memory_gib: 80\npeak_tflops_bf16: 900\npeak_tflops_fp32: 60\n") +
      "attention_efficiency: 0.1\ngemm_efficiency: 0.5\ngpus_per_node: 8\nintra_node_gbps: 400\n" +
      "intra_node_latency_us: 5\ninter_node_gbps: 50\ninter_node_latency_us: 10\n";
  EXPECT_EQ(refusal(good), "");
  EXPECT_NE(refusal(good + "nvlink: 3\n").find("unknown key `nvlink`"), std::string::npos);
  EXPECT_NE(refusal("name: x\n").find("`device_memory_gib` is missing"), std::string::npos);
  std::string bad = good;
  bad.replace(bad.find("attention_efficiency: 0.1"), 25, "attention_efficiency: 3.0");
  EXPECT_NE(refusal(bad).find("`attention_efficiency` = 3.0 is outside"), std::string::npos) << refusal(bad);
  bad = good;
  bad.replace(bad.find("gpus_per_node: 8"), 16, "gpus_per_node: many");
  EXPECT_NE(refusal(bad).find("'many' is not a number"), std::string::npos) << refusal(bad);
  EXPECT_NE(refusal("- a\n- b\n").find("mapping"), std::string::npos);
  EXPECT_NE(refusal(good + "attention_tile_tokens_fwd: 128.5\n").find("is not a whole number of tokens"),
            std::string::npos);
  EXPECT_NE(refusal(good + "attention_partial_tile_cost_bwd: 0.5\n")
                .find("`attention_partial_tile_cost_bwd` = 0.5 is outside"),
            std::string::npos);
}

// The kernels' tiles reach the ring's machine for the pass they belong to; without them
// the model counts visible pairs (tokens 0, premium 1).
TEST(Hardware, TilesReachTheRingMachine) {
  HardwareProfile h;
  h.peak_tflops_fp32 = 1;
  h.attention_efficiency = 1;
  h.intra_node_gbps = h.inter_node_gbps = 1;
  RingMachine m = ring_machine(h, false, 2);
  EXPECT_EQ(m.fwd_tiles.tokens, 0);
  EXPECT_EQ(m.bwd_tiles.partial_cost, 1.0);
  h.attention_tile_tokens_fwd = 256;
  h.attention_tile_tokens_bwd = 128;
  h.attention_partial_tile_cost_fwd = 1.7;
  h.attention_partial_tile_cost_bwd = 1.2;
  m = ring_machine(h, false, 2);
  EXPECT_EQ(m.fwd_tiles.tokens, 256);
  EXPECT_EQ(m.bwd_tiles.tokens, 128);
  EXPECT_EQ(m.fwd_tiles.partial_cost, 1.7);
  EXPECT_EQ(m.bwd_tiles.partial_cost, 1.2);
}

// The profile `yaml` says, loaded from a file of its own.
HardwareProfile loaded(const std::string& yaml) {
  const fs::path p =
      fs::temp_directory_path() / ("ra_hw_ok_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  std::ofstream(p) << yaml;
  const HardwareProfile h = load_hardware_profile(p.string());
  fs::remove(p);
  return h;
}

// The required keys of a profile of a CPU node (two ranks), which the tests below extend.
std::string cpu_node_profile() {
  return std::string("name: x\ndevice_memory_gib: 10\npeak_tflops_bf16: 0.4\npeak_tflops_fp32: 0.2\n") +
         "attention_efficiency: 1\ngemm_efficiency: 1\ngpus_per_node: 2\nintra_node_gbps: 5\n" +
         "intra_node_latency_us: 50\ninter_node_gbps: 5\ninter_node_latency_us: 50\n";
}

// A calibrated CPU profile's optional keys: the per-pair costs besides the FLOPs and of a
// cut tile reach the ring's machine of their dtype (in seconds), the host model's cost
// per element loads; a negative one is refused.
TEST(Hardware, PairCostsAndTheHostModelReachThePlan) {
  const std::string good = cpu_node_profile();
  const std::string extra =
      "attention_pair_ns_fp32_fwd: 0.5\nattention_pair_ns_fp32_bwd: 0.6\nattention_pair_ns_bf16_fwd: 0.7\n"
      "attention_pair_ns_bf16_bwd: 0.8\nattention_partial_pair_ns_fwd: 1.1\nattention_partial_pair_ns_bwd: 1.2\n"
      "host_elementwise_ns_per_elem: 1.9\n";
  const HardwareProfile h = loaded(good + extra);
  EXPECT_DOUBLE_EQ(h.host_elementwise_ns_per_elem, 1.9);
  const RingMachine f32 = ring_machine(h, false, 2), b16 = ring_machine(h, true, 2);
  EXPECT_DOUBLE_EQ(f32.attention_pair_head_s_fwd, 0.5e-9);
  EXPECT_DOUBLE_EQ(f32.attention_pair_head_s_bwd, 0.6e-9);
  EXPECT_DOUBLE_EQ(b16.attention_pair_head_s_fwd, 0.7e-9);
  EXPECT_DOUBLE_EQ(b16.attention_pair_head_s_bwd, 0.8e-9);
  for (const RingMachine* m : {&f32, &b16}) {
    EXPECT_DOUBLE_EQ(m->partial_pair_head_s_fwd, 1.1e-9);
    EXPECT_DOUBLE_EQ(m->partial_pair_head_s_bwd, 1.2e-9);
  }
  EXPECT_NE(refusal(good + "host_elementwise_ns_per_elem: -1\n").find("`host_elementwise_ns_per_elem` = -1 is outside"),
            std::string::npos);
  EXPECT_NE(refusal(good + "attention_pair_ns_bf16_bwd: x\n").find("'x' is not a number"), std::string::npos);
}

// The ring's overheads per dtype: a key without the dtype sets both, one with it
// overrides its own; each reaches the ring's machine of its dtype (in seconds); an
// out-of-range one is refused naming the key that gave it.
TEST(Hardware, RingOverheadsReachTheRingMachineOfTheirDtype) {
  const std::string good = cpu_node_profile();
  const std::string extra =
      "ring_pass_overhead_us_fwd: 10\nring_pass_overhead_us_bwd: 20\nring_hop_overhead_us_fwd: 30\n"
      "ring_hop_overhead_us_bwd: 40\nring_compute_slowdown_fwd: 0.05\nring_compute_slowdown_bwd: 0.06\n"
      "ring_pass_overhead_us_bf16_fwd: 11\nring_hop_overhead_us_fp32_bwd: 41\nring_compute_slowdown_bf16_fwd: 0.15\n"
      "ring_compute_slowdown_bf16_bwd: 0.16\n";
  const HardwareProfile h = loaded(good + extra);
  const RingMachine f32 = ring_machine(h, false, 2), b16 = ring_machine(h, true, 2);
  EXPECT_DOUBLE_EQ(f32.fwd_overhead.pass_s, 10e-6);
  EXPECT_DOUBLE_EQ(b16.fwd_overhead.pass_s, 11e-6);
  EXPECT_DOUBLE_EQ(f32.bwd_overhead.pass_s, 20e-6);
  EXPECT_DOUBLE_EQ(b16.bwd_overhead.pass_s, 20e-6);
  EXPECT_DOUBLE_EQ(f32.fwd_overhead.hop_s, 30e-6);
  EXPECT_DOUBLE_EQ(b16.fwd_overhead.hop_s, 30e-6);
  EXPECT_DOUBLE_EQ(f32.bwd_overhead.hop_s, 41e-6);
  EXPECT_DOUBLE_EQ(b16.bwd_overhead.hop_s, 40e-6);
  EXPECT_DOUBLE_EQ(f32.fwd_overhead.compute_slowdown, 0.05);
  EXPECT_DOUBLE_EQ(b16.fwd_overhead.compute_slowdown, 0.15);
  EXPECT_DOUBLE_EQ(f32.bwd_overhead.compute_slowdown, 0.06);
  EXPECT_DOUBLE_EQ(b16.bwd_overhead.compute_slowdown, 0.16);
  EXPECT_NE(
      refusal(good + "ring_compute_slowdown_bf16_bwd: 11\n").find("`ring_compute_slowdown_bf16_bwd` = 11 is outside"),
      std::string::npos);
  EXPECT_NE(
      refusal(good + "ring_hop_overhead_us_fp32_fwd: -1\n").find("`ring_hop_overhead_us_fp32_fwd` = -1 is outside"),
      std::string::npos);
  // A key without the dtype is checked even where both dtypes' own keys override it.
  EXPECT_NE(refusal(good + "ring_hop_overhead_us_fwd: x\nring_hop_overhead_us_fp32_fwd: 1\n" +
                    "ring_hop_overhead_us_bf16_fwd: 1\n")
                .find("`ring_hop_overhead_us_fwd`: 'x' is not a number"),
            std::string::npos);
  EXPECT_NE(refusal(good + "ring_hop_overhead_us_fp16_fwd: 1\n").find("unknown key `ring_hop_overhead_us_fp16_fwd`"),
            std::string::npos);
}

}  // namespace
}  // namespace ra::plan

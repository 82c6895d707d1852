#include "runtime/plan/hardware.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "runtime/core/error.h"

namespace ra::plan {
namespace {

double number(const YAML::Node& root, const std::string& path, const char* key, double min, double max) {
  const YAML::Node n = root[key];
  if (!n || !n.IsScalar()) throw UsageError(path + ": `" + key + "` is missing (a number is required)");
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    throw UsageError(path + ":" + std::to_string(n.Mark().line + 1) + ": `" + key + "`: '" + n.Scalar() +
                     "' is not a number");
  }
  if (!(v >= min && v <= max)) {
    throw UsageError(path + ":" + std::to_string(n.Mark().line + 1) + ": `" + key + "` = " + n.Scalar() +
                     " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

}  // namespace

HardwareProfile load_hardware_profile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw UsageError(path + ": cannot read the hardware profile");
  } catch (const YAML::Exception& e) {
    throw UsageError(path + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) throw UsageError(path + ": a hardware profile is a YAML mapping of keys to values");
  static const std::set<std::string> known = {"name",
                                              "source",
                                              "attention_tflops_fp32_fwd",
                                              "attention_tflops_fp32_bwd",
                                              "attention_tflops_bf16_fwd",
                                              "attention_tflops_bf16_bwd",
                                              "attention_pair_ns_fp32_fwd",
                                              "attention_pair_ns_fp32_bwd",
                                              "attention_pair_ns_bf16_fwd",
                                              "attention_pair_ns_bf16_bwd",
                                              "attention_tile_tokens_fwd",
                                              "attention_tile_tokens_bwd",
                                              "attention_partial_tile_cost_fwd",
                                              "attention_partial_tile_cost_bwd",
                                              "attention_partial_pair_ns_fwd",
                                              "attention_partial_pair_ns_bwd",
                                              "ring_pass_overhead_us_fwd",
                                              "ring_pass_overhead_us_bwd",
                                              "ring_hop_overhead_us_fwd",
                                              "ring_hop_overhead_us_bwd",
                                              "ring_compute_slowdown_fwd",
                                              "ring_compute_slowdown_bwd",
                                              "host_elementwise_ns_per_elem",
                                              "device_memory_gib",
                                              "memory_gbps",
                                              "peak_tflops_bf16",
                                              "peak_tflops_fp32",
                                              "attention_efficiency",
                                              "gemm_efficiency",
                                              "gpus_per_node",
                                              "intra_node_gbps",
                                              "intra_node_latency_us",
                                              "inter_node_gbps",
                                              "inter_node_latency_us"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (known.count(key) == 0) {
      throw UsageError(path + ":" + std::to_string(kv.first.Mark().line + 1) + ": unknown key `" + key + "`");
    }
  }
  HardwareProfile h;
  if (!root["name"] || !root["name"].IsScalar()) throw UsageError(path + ": `name` is missing");
  h.name = root["name"].Scalar();
  h.device_memory_gib = number(root, path, "device_memory_gib", 0.001, 1e6);
  h.peak_tflops_bf16 = number(root, path, "peak_tflops_bf16", 1e-6, 1e6);
  h.peak_tflops_fp32 = number(root, path, "peak_tflops_fp32", 1e-6, 1e6);
  h.attention_efficiency = number(root, path, "attention_efficiency", 1e-4, 1);
  h.gemm_efficiency = number(root, path, "gemm_efficiency", 1e-4, 1);
  h.gpus_per_node = static_cast<int>(number(root, path, "gpus_per_node", 1, 1024));
  h.intra_node_gbps = number(root, path, "intra_node_gbps", 1e-3, 1e6);
  h.intra_node_latency_us = number(root, path, "intra_node_latency_us", 0, 1e6);
  h.inter_node_gbps = number(root, path, "inter_node_gbps", 1e-3, 1e6);
  h.inter_node_latency_us = number(root, path, "inter_node_latency_us", 0, 1e6);
  const auto optional = [&](const char* key) { return root[key] ? number(root, path, key, 1e-9, 1e6) : 0.0; };
  h.memory_gbps = optional("memory_gbps");
  h.attention_tflops_fp32_fwd = optional("attention_tflops_fp32_fwd");
  h.attention_tflops_fp32_bwd = optional("attention_tflops_fp32_bwd");
  h.attention_tflops_bf16_fwd = optional("attention_tflops_bf16_fwd");
  h.attention_tflops_bf16_bwd = optional("attention_tflops_bf16_bwd");
  const auto pair_ns = [&](const char* key) { return root[key] ? number(root, path, key, 0, 1e6) : 0.0; };
  h.attention_pair_ns_fp32_fwd = pair_ns("attention_pair_ns_fp32_fwd");
  h.attention_pair_ns_fp32_bwd = pair_ns("attention_pair_ns_fp32_bwd");
  h.attention_pair_ns_bf16_fwd = pair_ns("attention_pair_ns_bf16_fwd");
  h.attention_pair_ns_bf16_bwd = pair_ns("attention_pair_ns_bf16_bwd");
  const auto tile = [&](const char* key) {
    if (!root[key]) return std::int64_t{0};
    const double v = number(root, path, key, 0, 1 << 20);
    if (v != static_cast<double>(static_cast<std::int64_t>(v))) {
      throw UsageError(path + ":" + std::to_string(root[key].Mark().line + 1) + ": `" + key +
                       "` = " + root[key].Scalar() + " is not a whole number of tokens");
    }
    return static_cast<std::int64_t>(v);
  };
  h.attention_tile_tokens_fwd = tile("attention_tile_tokens_fwd");
  h.attention_tile_tokens_bwd = tile("attention_tile_tokens_bwd");
  const auto cost = [&](const char* key) { return root[key] ? number(root, path, key, 1, 100) : 1.0; };
  h.attention_partial_tile_cost_fwd = cost("attention_partial_tile_cost_fwd");
  h.attention_partial_tile_cost_bwd = cost("attention_partial_tile_cost_bwd");
  h.attention_partial_pair_ns_fwd = pair_ns("attention_partial_pair_ns_fwd");
  h.attention_partial_pair_ns_bwd = pair_ns("attention_partial_pair_ns_bwd");
  const auto overhead = [&](const char* key) { return root[key] ? number(root, path, key, 0, 1e7) : 0.0; };
  h.ring_pass_overhead_us_fwd = overhead("ring_pass_overhead_us_fwd");
  h.ring_pass_overhead_us_bwd = overhead("ring_pass_overhead_us_bwd");
  h.ring_hop_overhead_us_fwd = overhead("ring_hop_overhead_us_fwd");
  h.ring_hop_overhead_us_bwd = overhead("ring_hop_overhead_us_bwd");
  const auto slowdown = [&](const char* key) { return root[key] ? number(root, path, key, 0, 10) : 0.0; };
  h.ring_compute_slowdown_fwd = slowdown("ring_compute_slowdown_fwd");
  h.ring_compute_slowdown_bwd = slowdown("ring_compute_slowdown_bwd");
  h.host_elementwise_ns_per_elem =
      root["host_elementwise_ns_per_elem"] ? number(root, path, "host_elementwise_ns_per_elem", 0, 1e6) : 0.0;
  if (root["source"] && root["source"].IsScalar()) h.source = root["source"].Scalar();
  return h;
}

double HardwareProfile::attention_flops_per_s(bool bf16, Pass pass) const {
  const double fwd = bf16 ? attention_tflops_bf16_fwd : attention_tflops_fp32_fwd;
  const double bwd = bf16 ? attention_tflops_bf16_bwd : attention_tflops_fp32_bwd;
  const double measured = pass == Pass::kForward ? fwd : (bwd > 0 ? bwd : fwd);
  if (measured > 0) return measured * 1e12;
  return (bf16 ? peak_tflops_bf16 : peak_tflops_fp32) * 1e12 * attention_efficiency;
}

RingMachine ring_machine(const HardwareProfile& hw, bool bf16, int sp) {
  const bool in_node = sp <= hw.gpus_per_node;
  RingMachine m;
  m.attention_flops_per_s = hw.attention_flops_per_s(bf16, HardwareProfile::Pass::kForward);
  m.attention_bwd_flops_per_s = hw.attention_flops_per_s(bf16, HardwareProfile::Pass::kBackward);
  m.link_bytes_per_s = (in_node ? hw.intra_node_gbps : hw.inter_node_gbps) * 1e9;
  m.link_latency_s = (in_node ? hw.intra_node_latency_us : hw.inter_node_latency_us) * 1e-6;
  m.attention_pair_head_s_fwd = (bf16 ? hw.attention_pair_ns_bf16_fwd : hw.attention_pair_ns_fp32_fwd) * 1e-9;
  m.attention_pair_head_s_bwd = (bf16 ? hw.attention_pair_ns_bf16_bwd : hw.attention_pair_ns_fp32_bwd) * 1e-9;
  m.partial_pair_head_s_fwd = hw.attention_partial_pair_ns_fwd * 1e-9;
  m.partial_pair_head_s_bwd = hw.attention_partial_pair_ns_bwd * 1e-9;
  m.memory_bytes_per_s = hw.memory_gbps * 1e9;
  m.fwd_overhead = {hw.ring_pass_overhead_us_fwd * 1e-6, hw.ring_hop_overhead_us_fwd * 1e-6,
                    hw.ring_compute_slowdown_fwd};
  m.bwd_overhead = {hw.ring_pass_overhead_us_bwd * 1e-6, hw.ring_hop_overhead_us_bwd * 1e-6,
                    hw.ring_compute_slowdown_bwd};
  m.fwd_tiles = {hw.attention_tile_tokens_fwd, hw.attention_partial_tile_cost_fwd};
  m.bwd_tiles = {hw.attention_tile_tokens_bwd, hw.attention_partial_tile_cost_bwd};
  return m;
}

}  // namespace ra::plan

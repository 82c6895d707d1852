#include "runtime/plan/hardware.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <vector>

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

// The ring's overhead figures and their keys' parts: ring_<stem>[_<dtype>]_<pass>.
struct RingOverheadKey {
  const char* stem;
  const char* pass;
  double HardwareProfile::RingOverheadFigures::*field;
  bool slowdown;
};

const std::vector<RingOverheadKey>& ring_overhead_key_list() {
  using F = HardwareProfile::RingOverheadFigures;
  static const std::vector<RingOverheadKey> keys = {
      {"pass_overhead_us", "fwd", &F::pass_us_fwd, false}, {"pass_overhead_us", "bwd", &F::pass_us_bwd, false},
      {"hop_overhead_us", "fwd", &F::hop_us_fwd, false},   {"hop_overhead_us", "bwd", &F::hop_us_bwd, false},
      {"compute_slowdown", "fwd", &F::slowdown_fwd, true}, {"compute_slowdown", "bwd", &F::slowdown_bwd, true}};
  return keys;
}

const std::set<std::string>& ring_overhead_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> s;
    for (const RingOverheadKey& k : ring_overhead_key_list()) {
      for (const char* dtype : {"", "_fp32", "_bf16"}) s.insert(std::string("ring_") + k.stem + dtype + "_" + k.pass);
    }
    return s;
  }();
  return keys;
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
    if (known.count(key) == 0 && ring_overhead_keys().count(key) == 0) {
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
  // ring_<figure>_<pass> sets both dtypes; ring_<figure>_<dtype>_<pass> overrides one.
  for (const RingOverheadKey& k : ring_overhead_key_list()) {
    const double max = k.slowdown ? 10 : 1e7;
    const std::string both = std::string("ring_") + k.stem + "_" + k.pass;
    const double shared = root[both] ? number(root, path, both.c_str(), 0, max) : 0.0;
    for (bool bf16 : {false, true}) {
      const std::string own = std::string("ring_") + k.stem + (bf16 ? "_bf16_" : "_fp32_") + k.pass;
      h.ring_overhead(bf16).*k.field = root[own] ? number(root, path, own.c_str(), 0, max) : shared;
    }
  }
  h.host_elementwise_ns_per_elem = pair_ns("host_elementwise_ns_per_elem");  // ns too, the same range
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
  const HardwareProfile::RingOverheadFigures& o = hw.ring_overhead(bf16);
  m.fwd_overhead = {o.pass_us_fwd * 1e-6, o.hop_us_fwd * 1e-6, o.slowdown_fwd};
  m.bwd_overhead = {o.pass_us_bwd * 1e-6, o.hop_us_bwd * 1e-6, o.slowdown_bwd};
  m.fwd_tiles = {hw.attention_tile_tokens_fwd, hw.attention_partial_tile_cost_fwd};
  m.bwd_tiles = {hw.attention_tile_tokens_bwd, hw.attention_partial_tile_cost_bwd};
  return m;
}

}  // namespace ra::plan

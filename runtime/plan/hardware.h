// A hardware profile for `ringattn plan --hardware F` (configs/hardware/*.yaml): what one
// accelerator and its links can do, each figure with its public source in the file's
// comments, and the fractions of peak our kernels reach. Loaded strictly: an unknown or
// missing key, a non-number or a value out of range is an ra::UsageError naming the
// file, the key and the rule.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/plan/time_model.h"

namespace ra::plan {

struct HardwareProfile {
  std::string name;
  double device_memory_gib = 0;
  double peak_tflops_bf16 = 0, peak_tflops_fp32 = 0;  // dense
  double attention_efficiency = 0;                    // of peak, our attention kernels
  double gemm_efficiency = 0;                         // of peak, the model's GEMMs
  int gpus_per_node = 1;
  double memory_gbps = 0;  // device memory bandwidth (HBM; a CPU node's calibrated streaming rate); 0: absent
  double intra_node_gbps = 0, intra_node_latency_us = 0;  // one direction, per GPU
  double inter_node_gbps = 0, inter_node_latency_us = 0;
  // Measured attention throughput (`ringattn calibrate` writes them; optional, 0: absent):
  // when given they replace peak × attention_efficiency for that dtype and pass.
  double attention_tflops_fp32_fwd = 0, attention_tflops_fp32_bwd = 0;
  double attention_tflops_bf16_fwd = 0, attention_tflops_bf16_bwd = 0;
  // What a (query, key) pair costs per head besides the FLOPs, nanoseconds (the softmax's
  // work: `ringattn calibrate` fits it with the rates above from two head dimensions;
  // optional, 0: the rates hold at every D). With it the rates above are the FLOPs' own.
  double attention_pair_ns_fp32_fwd = 0, attention_pair_ns_fp32_bwd = 0;
  double attention_pair_ns_bf16_fwd = 0, attention_pair_ns_bf16_bwd = 0;
  // How the kernels cut a block (`ringattn calibrate` writes them; optional, 0: the model
  // counts visible pairs): tile side in tokens, and a tile the mask cuts at this × a full
  // one (time_model.h, TileCost).
  std::int64_t attention_tile_tokens_fwd = 0, attention_tile_tokens_bwd = 0;
  double attention_partial_tile_cost_fwd = 1, attention_partial_tile_cost_bwd = 1;
  // The same premium as what a cut tile costs more per (query, key) pair and head, ns
  // (the mask's per-element work, whatever D: a cut tile's ratio to a full one grows as
  // D shrinks); when given it replaces the ratios above (`ringattn calibrate` writes it).
  double attention_partial_pair_ns_fwd = 0, attention_partial_pair_ns_bwd = 0;
  // The ring's overheads beyond the kernels, hops and memory passes, per pass and per hop
  // (thread handoffs, polling), and how much slower a ring of several ranks computes than
  // the kernels alone (0.05: 5 %) — per storage dtype, since a faster kernel leaves the
  // comm thread's share of the cores a larger fraction (`ringattn calibrate` measures
  // both: keys ring_*_{fp32,bf16}_{fwd,bwd}; a key without the dtype sets both; optional,
  // 0: none).
  struct RingOverheadFigures {
    double pass_us_fwd = 0, pass_us_bwd = 0;
    double hop_us_fwd = 0, hop_us_bwd = 0;
    double slowdown_fwd = 0, slowdown_bwd = 0;
  };
  RingOverheadFigures ring_overhead_fp32, ring_overhead_bf16;
  RingOverheadFigures& ring_overhead(bool bf16) { return bf16 ? ring_overhead_bf16 : ring_overhead_fp32; }
  const RingOverheadFigures& ring_overhead(bool bf16) const { return bf16 ? ring_overhead_bf16 : ring_overhead_fp32; }
  // The host model's work besides GEMMs and attention (norms, RoPE, SwiGLU, copies,
  // cross-entropy: model::host_step_work's elements), nanoseconds per element; with
  // peak_tflops_fp32 as the GEMMs' rate it times a training step of the cpu backend
  // (`ringattn calibrate` measures both; optional, 0: not modelled).
  double host_elementwise_ns_per_elem = 0;
  std::string source;  // where the figures come from ("datasheets", "calibrated on …"): informational

  enum class Pass : std::uint8_t { kForward, kBackward };
  // FLOP/s our attention kernels reach for `storage` (kF32 or 16-bit) in `pass`.
  double attention_flops_per_s(bool bf16, Pass pass) const;
};

HardwareProfile load_hardware_profile(const std::string& path);

// The ring of `sp` ranks on `hw`: its attention rates for the storage (bf16 or fp32) and
// its link — NVLink-class inside a node while sp fits in one, the network otherwise.
RingMachine ring_machine(const HardwareProfile& hw, bool bf16, int sp);

}  // namespace ra::plan

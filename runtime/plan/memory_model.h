// Per-rank memory of a run, predicted from its resolved shapes before anything is
// allocated (docs/scaling.md, "The memory model"): `ringattn plan` prints it, and bench,
// train and kernel-bench refuse a run whose estimate does not fit (memory_guard.h).
//
// An estimate is a list of named terms, each the bytes one group of buffers takes, where
// it lives (device memory, or host memory beside it; on the cpu and simt backends both
// are the host's RAM) and the code that allocates it. Terms follow the allocations one
// for one — tests/plan checks the device terms against what a counting device actually
// allocated — so a change of buffers shows up as a failing test, not as a silent drift.
// What no term covers: the process itself (libraries, MPI's shared-memory segments, the
// allocator's slack; `process_baseline_bytes`) and transient temporaries below a few
// MiB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/dtype.h"
#include "runtime/model/device_transformer.h"
#include "runtime/model/model_config.h"

namespace ra::plan {

enum class Residence : std::uint8_t { kDevice, kHost };

struct MemoryTerm {
  std::string name;  // "ring KV blocks (2, double-buffered)"
  std::int64_t bytes = 0;
  Residence where = Residence::kDevice;
  // Empty: alive for the whole run. Otherwise the phase of the run that holds it (a
  // command that frees one phase's buffers before the next allocates its own).
  std::string phase;
};

// The peak is the largest phase: Σ whole-run terms + Σ that phase's terms.
struct MemoryEstimate {
  std::vector<MemoryTerm> terms;
  void add(std::string name, std::int64_t bytes, Residence where, std::string phase = {});
  void append(const MemoryEstimate& other, const std::string& phase = {});  // phase: for terms without one
  std::int64_t bytes_on(Residence where) const;                             // peak over the phases
  std::int64_t total_bytes() const;                                         // device + host, peak over the phases
  // Device + host, peak over the whole-run terms and these phases only: what a sample of
  // the high-water mark taken before the other phases sees.
  std::int64_t total_bytes_through(const std::vector<std::string>& phases) const;
};

// The resident size of a ringattn rank before it allocates anything for the run
// (libraries, MPI, the runtime's own tables): measured on the development machine with
// `ringattn bench` at 1 token per rank (docs/scaling.md). Added by the guard, not a term.
constexpr std::int64_t process_baseline_bytes = 96ll << 20;

// One rank's attention problem: its shard (padded, as the layout cuts it) and heads.
struct AttentionShape {
  std::int64_t tokens = 0;  // this rank's (padded) tokens
  std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
  DType storage = DType::kF32;  // q, k, v, o, dout
  int sp = 2;                   // ranks of the ring: one rank's ring never receives (fewer buffers)
};

// RingAttention's own buffers (runtime/ring/ring_attention.cc): two KV blocks (K, V,
// positions, segments; 64-byte aligned parts), two travelling dK/dV blocks and the
// local partial one (f32), the f32 accumulator and three f32 row statistics. One rank:
// one KV and one dK/dV block. (A window that reaches no other rank also gets by with
// one; the model then counts two — on the safe side.)
MemoryEstimate ring_buffers(const AttentionShape& s);

// `ringattn bench` (runtime/bench/ring_bench.cc): the shard's inputs (host and device
// copies), outputs and gradients, the ring's buffers, the local-only measurement's
// copies and the final downloads.
MemoryEstimate bench_memory(const AttentionShape& s);

// `ringattn kernel-bench` at one length: q, k, v, dout in the storage dtype, o and lse,
// dq, dk, dv in f32, the accumulator and row statistics (runtime/bench/kernel_bench.cc).
MemoryEstimate kernel_bench_memory(std::int64_t len, std::int64_t heads, std::int64_t head_dim, DType storage);

enum class TrainPlacement : std::uint8_t {
  kHost,    // the cpu backend: Transformer<float> and AdamW on host vectors
  kDevice,  // simt, cuda: DeviceTransformer and DeviceAdamW in device memory
};

struct TrainShape {
  model::ModelConfig model;
  std::int64_t tokens = 0;       // this rank's tokens per step: batch × padded shard length
  std::int64_t eval_tokens = 0;  // the same for an evaluation batch
  TrainPlacement placement = TrainPlacement::kHost;
  model::DevicePrecision precision = model::DevicePrecision::kF32;  // kDevice only
  int sp = 2;  // ranks of the ring (one rank's ring holds one KV and one dK/dV block)
};

// `ringattn train`: parameters, gradients, AdamW moments, the activations (recomputed
// per layer: what activation_bytes_per_token counts), the ring of one layer, and between
// steps the evaluation's logits (phase "evaluation") or a checkpoint's host copy of the
// parameters and moments (phase "checkpoint"). total_bytes_through({}): the steps'.
MemoryEstimate train_memory(const TrainShape& s);

// "1.50 GiB", "312 MiB", "4.0 KiB", "17 B".
std::string format_bytes(std::int64_t bytes);

}  // namespace ra::plan

#include "runtime/plan/memory_model.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "runtime/model/params.h"
#include "runtime/model/transformer.h"
#include "runtime/ring/kv_block.h"

namespace ra::plan {
namespace {

std::int64_t bytes_of(DType t) { return static_cast<std::int64_t>(dtype_size_bytes(t)); }
constexpr std::int64_t kF32 = 4, kI32 = 4;

}  // namespace

void MemoryEstimate::add(std::string name, std::int64_t bytes, Residence where, std::string phase) {
  terms.push_back({std::move(name), bytes, where, std::move(phase)});
}

void MemoryEstimate::append(const MemoryEstimate& other, const std::string& phase) {
  for (MemoryTerm t : other.terms) {
    if (t.phase.empty()) t.phase = phase;
    terms.push_back(std::move(t));
  }
}

namespace {

// max over phases p of Σ bytes of the terms alive in p (whole-run or p) that `counts`;
// every phase of the terms, or only `only` when given.
template <typename Counts>
std::int64_t peak(const std::vector<MemoryTerm>& terms, Counts counts, const std::vector<std::string>* only = nullptr) {
  std::set<std::string> phases{""};
  for (const MemoryTerm& t : terms) {
    if (only == nullptr || std::find(only->begin(), only->end(), t.phase) != only->end()) phases.insert(t.phase);
  }
  std::int64_t best = 0;
  for (const std::string& p : phases) {
    std::int64_t sum = 0;
    for (const MemoryTerm& t : terms) {
      if ((t.phase.empty() || t.phase == p) && counts(t)) sum += t.bytes;
    }
    best = std::max(best, sum);
  }
  return best;
}

}  // namespace

std::int64_t MemoryEstimate::bytes_on(Residence where) const {
  return peak(terms, [where](const MemoryTerm& t) { return t.where == where; });
}

std::int64_t MemoryEstimate::total_bytes() const {
  return peak(terms, [](const MemoryTerm&) { return true; });
}

std::int64_t MemoryEstimate::total_bytes_through(const std::vector<std::string>& phases) const {
  return peak(
      terms, [](const MemoryTerm&) { return true; }, &phases);
}

MemoryEstimate ring_buffers(const AttentionShape& s) {
  const std::int64_t n = s.tokens;
  const ring::KvLayout kv{n, s.kv_heads, s.head_dim, s.storage};
  const std::int64_t dkv_block = 2 * n * s.kv_heads * s.head_dim * kF32;
  const std::int64_t rows = n * s.heads * kF32;
  MemoryEstimate m;
  if (s.sp > 1) {
    m.add("ring KV blocks (K, V, positions, segments; double-buffered)",
          2 * static_cast<std::int64_t>(kv.total_bytes()), Residence::kDevice);
    m.add("ring dK/dV blocks (2 travelling + 1 local, f32)", 3 * dkv_block, Residence::kDevice);
  } else {
    m.add("ring KV block (K, V, positions, segments; one rank: one)", static_cast<std::int64_t>(kv.total_bytes()),
          Residence::kDevice);
    m.add("ring dK/dV block (f32; one rank: one)", dkv_block, Residence::kDevice);
  }
  m.add("ring accumulator (f32 O) and row max/sum/dsum", n * s.heads * s.head_dim * kF32 + 3 * rows,
        Residence::kDevice);
  return m;
}

MemoryEstimate bench_memory(const AttentionShape& s) {
  // runtime/bench/ring_bench.cc's phases: generating the inputs (host copies, one tensor
  // at a time), the ring repetitions, the digest (one downloaded tensor at a time, the
  // ring's buffers gone), the local-only measurement (the ring's gradients gone).
  const std::int64_t n = s.tokens, st = bytes_of(s.storage);
  const std::int64_t q = n * s.heads * s.head_dim, kv = n * s.kv_heads * s.head_dim, rows = n * s.heads;
  const std::int64_t meta = 2 * n * kI32;  // positions, segments
  MemoryEstimate m;
  m.add("shard inputs q, k, v, dout + metadata", (2 * q + 2 * kv) * st + meta, Residence::kDevice);
  m.add("metadata on the host (the schedule's)", meta, Residence::kHost);
  m.add("outputs o, lse", q * st + rows * kF32, Residence::kDevice);
  m.add("generating: one input's host copy", q * st, Residence::kHost, "inputs");
  m.add("ring: gradients dq, dk, dv", q * kF32 + 2 * kv * kF32, Residence::kDevice, "ring");
  m.append(ring_buffers(s), "ring");
  m.add("digest: gradients dq, dk, dv", q * kF32 + 2 * kv * kF32, Residence::kDevice, "digest");
  m.add("digest: one downloaded output", q * kF32, Residence::kHost, "digest");
  m.add("local-only: K, V + metadata of a block", 2 * kv * st + meta, Residence::kDevice, "local");
  m.add("local-only: metadata on the host", meta, Residence::kHost, "local");
  m.add("local-only: state, outputs, gradients", q * kF32 + 4 * rows * kF32 + q * st + q * kF32 + 2 * kv * kF32,
        Residence::kDevice, "local");
  m.add("local-only: generating a block's host copy", kv * st, Residence::kHost, "local");
  return m;
}

MemoryEstimate kernel_bench_memory(std::int64_t len, std::int64_t heads, std::int64_t head_dim, DType storage) {
  const std::int64_t q = len * heads * head_dim, rows = len * heads, st = bytes_of(storage);
  MemoryEstimate m;
  m.add("q, k, v, o, dout (storage dtype) + positions, segments", 5 * q * st + 2 * len * kI32, Residence::kHost);
  m.add("accumulator, row statistics, lse (f32)", q * kF32 + 4 * rows * kF32, Residence::kHost);
  m.add("dq, dk, dv (f32)", 3 * q * kF32, Residence::kHost);
  return m;
}

MemoryEstimate train_memory(const TrainShape& s) {
  const model::ModelConfig& c = s.model;
  const std::int64_t params = model::ParamLayout(c).total_elems();
  const std::int64_t n = s.tokens;
  const bool device = s.placement == TrainPlacement::kDevice;
  const Residence home = device ? Residence::kDevice : Residence::kHost;
  MemoryEstimate m;
  m.add("parameters (f32)", params * kF32, home);
  m.add("gradients (f32)", params * kF32, home);
  m.add("AdamW moments m, v (f32)", 2 * params * kF32, home);
  if (device && s.precision == model::DevicePrecision::kBf16Activations) {
    m.add("bf16 copy of the weights (GEMM operands)", params * 2, Residence::kDevice);
  }
  const std::int64_t act_per_token = device ? model::device_activation_bytes_per_token(c, s.precision)
                                            : model::host_activation_bytes_per_token(c, kF32);
  m.add("activations (saved layer inputs + one layer's working set)", act_per_token * n, home);
  // The ring of one layer's attention at a time, in the attention's storage (bf16 on the
  // device model, whose ring inputs are staged in bf16 beside the f32 q, k, v).
  const DType storage = device ? DType::kBF16 : DType::kF32;
  MemoryEstimate ring = ring_buffers({n, c.heads, c.kv_heads, c.head_dim, storage, s.sp});
  if (!device) {
    for (MemoryTerm& t : ring.terms) t.where = Residence::kHost;  // the cpu backend's device is host memory
  }
  m.append(ring);
  if (device) {
    m.add("bf16 staging of q, k, v, o, dout for the ring",
          n * (3 * c.q_features() + 2 * c.kv_features()) * 2 + n * kI32, Residence::kDevice);
    m.add("tokens, targets, positions, segments (device)", 4 * n * kI32, Residence::kDevice);
  }
  m.add("tokens, targets, positions, segments (host)", 4 * n * kI32, Residence::kHost);
  // Evaluation: logits [eval tokens, vocab] f32, on the device and downloaded; only while
  // an evaluation runs (phase "evaluation"), between steps.
  m.add("evaluation logits (host)", s.eval_tokens * c.vocab * kF32, Residence::kHost, "evaluation");
  if (device) m.add("evaluation logits (device)", s.eval_tokens * c.vocab * kF32, Residence::kDevice, "evaluation");
  // A checkpoint is assembled on the host: parameters and both moments; only while it is
  // saved (phase "checkpoint"), between steps and never during an evaluation.
  m.add("checkpoint state copy (parameters, moments; host)", 3 * params * kF32, Residence::kHost, "checkpoint");
  if (device) m.add("initial parameters (host)", params * kF32, Residence::kHost);
  return m;
}

std::string format_bytes(std::int64_t bytes) {
  const double b = static_cast<double>(bytes);
  char out[32];
  if (b >= 1024.0 * 1024 * 1024) {
    std::snprintf(out, sizeof out, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  } else if (b >= 1024.0 * 1024) {
    std::snprintf(out, sizeof out, "%.0f MiB", b / (1024.0 * 1024));
  } else if (b >= 1024.0) {
    std::snprintf(out, sizeof out, "%.1f KiB", b / 1024.0);
  } else {
    std::snprintf(out, sizeof out, "%lld B", static_cast<long long>(bytes));
  }
  return out;
}

}  // namespace ra::plan

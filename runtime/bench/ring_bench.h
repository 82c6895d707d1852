// `ringattn bench`: ring attention forward and backward across the ranks of a
// communicator at a configured size, with the figures of docs/design.md §10:
//   ring efficiency       = local kernel time for this rank's work alone (same blocks,
//                           no communication) / ring time for the same work, taken on the
//                           slowest rank of each (max over ranks of both)
//   exposed communication = time the compute stream waited for data / ring time (max over ranks);
//                           NaN where the device's streams are not observed (CUDA)
//   tokens/s, GFLOP/s     = the whole sequence over (forward + backward) ring time
// Timings are medians over the timed repetitions; inputs are synthetic (a counter-based
// hash of the global token index, so every rank generates only its own shard).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "kernels/numerics.h"
#include "runtime/core/dtype.h"
#include "runtime/layout/sharding.h"
#include "runtime/records/records.pb.h"
#include "runtime/ring/ring_attention.h"
#include "runtime/trace/timeline.h"

namespace ra::bench {

enum class TraceExport : std::uint8_t {
  kNone,
  kGather,  // collect every rank's timeline of the timed repetitions (Chrome trace JSON on rank 0)
};

struct RingBenchOptions {
  layout::Layout layout = layout::Layout::kZigzag;
  std::int64_t seq_len = 8192;  // real tokens over all ranks
  std::int64_t heads = 4, kv_heads = 4, head_dim = 64;
  numerics::MaskRule mask{numerics::MaskKind::kCausal, 0};
  DType dtype = DType::kF32;
  int threads = 1;  // kernel threads per rank
  int warmup_reps = 1, timed_reps = 5;
  TraceExport trace = TraceExport::kNone;
  std::uint64_t seed = 1;
  int rings = 1;                // dp: independent rings in the job (for the record; this bench runs one)
  std::string backend = "cpu";  // attention.backend, for the record
  // Called on every rank after each repetition (ring and local-only): (done, total).
  std::function<void(long, long)> on_progress;
};

struct RingStepFigures {
  int rank = 0;
  std::string pass;
  int step = 0;
  bool computed = false;
  double compute_seconds = 0, comm_seconds = 0, wait_seconds = 0;  // medians' worth: totals / reps
};

struct RingBenchResult {
  RingBenchOptions options;
  int ranks = 1;
  int last_step = 0;                                    // ring steps run: last_step + 1
  double fwd_seconds = 0, bwd_seconds = 0;              // ring, median, slowest rank
  double local_fwd_seconds = 0, local_bwd_seconds = 0;  // kernel alone, median, slowest rank
  double ring_efficiency = 0, ring_efficiency_fwd = 0, ring_efficiency_bwd = 0;
  double exposed_comm_fraction = 0;
  double tokens_per_s = 0, gflops = 0, gflops_per_rank = 0;
  std::int64_t peak_rss_bytes = 0;  // max over ranks
  // Σ|O|, Σ LSE (finite rows), Σ|dQ|, Σ|dK|, Σ|dV| of the last repetition, whole sequence.
  double o_abs_sum = 0, lse_sum = 0, dq_abs_sum = 0, dk_abs_sum = 0, dv_abs_sum = 0;
  std::vector<RingStepFigures> steps;  // every rank's per-step figures
  std::string trace_json;              // rank 0, with TraceExport::kGather
};

// Collective over ctx.comm (one ring); every rank returns the same result. `timeline`
// must be the observer of ctx's streams (runtime/backend: BackendOptions::observer).
RingBenchResult run_ring_bench(const ring::RingContext& ctx, trace::Timeline& timeline,
                               const RingBenchOptions& options);

// Visible (query, key) pairs of one document of `len` tokens at positions 0..len-1.
double visible_pairs(std::int64_t len, const numerics::MaskRule& mask);

records::BenchRecord to_record(const RingBenchResult& r);
std::string to_json_line(const RingBenchResult& r);  // the record as one JSON line
void print_table(std::ostream& os, const RingBenchResult& r);

}  // namespace ra::bench

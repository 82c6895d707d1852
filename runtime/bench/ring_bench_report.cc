// The report of a `ringattn bench` run: the protobuf record (one JSONL line) and the
// summary table.
#include <cmath>
#include <iomanip>
#include <ostream>

#include "runtime/bench/ring_bench.h"
#include "runtime/records/json_line.h"

namespace ra::bench {

records::BenchRecord to_record(const RingBenchResult& r) {
  const RingBenchOptions& o = r.options;
  records::BenchRecord rec;
  rec.set_record("ring_bench");
  rec.set_ranks(static_cast<std::uint32_t>(r.ranks));
  rec.set_dp(static_cast<std::uint32_t>(o.rings));
  rec.set_layout(std::string(layout::layout_name(o.layout)));
  rec.set_seq_len(static_cast<std::uint32_t>(o.seq_len));
  rec.set_head_dim(static_cast<std::uint32_t>(o.head_dim));
  rec.set_heads(static_cast<std::uint32_t>(o.heads));
  rec.set_kv_heads(static_cast<std::uint32_t>(o.kv_heads));
  rec.set_causal(o.mask.kind == numerics::MaskKind::kCausal);
  rec.set_window(static_cast<std::uint32_t>(o.mask.window));
  rec.set_dtype(std::string(dtype_name(o.dtype)));
  rec.set_threads(static_cast<std::uint32_t>(o.threads));
  rec.set_reps(static_cast<std::uint32_t>(o.timed_reps));
  rec.set_ring_steps(static_cast<std::uint32_t>(r.last_step + 1));
  rec.set_fwd_seconds(r.fwd_seconds);
  rec.set_bwd_seconds(r.bwd_seconds);
  rec.set_local_fwd_seconds(r.local_fwd_seconds);
  rec.set_local_bwd_seconds(r.local_bwd_seconds);
  rec.set_tokens_per_s(r.tokens_per_s);
  rec.set_gflops(r.gflops);
  rec.set_gflops_per_rank(r.gflops_per_rank);
  rec.set_ring_efficiency(r.ring_efficiency);
  rec.set_ring_efficiency_fwd(r.ring_efficiency_fwd);
  rec.set_ring_efficiency_bwd(r.ring_efficiency_bwd);
  rec.set_exposed_comm_fraction(r.exposed_comm_fraction);
  rec.set_peak_rss_bytes(static_cast<double>(r.peak_rss_bytes));
  rec.set_backend(o.backend);
  records::OutputDigest* d = rec.mutable_digest();
  d->set_o_abs_sum(r.o_abs_sum);
  d->set_lse_sum(r.lse_sum);
  d->set_dq_abs_sum(r.dq_abs_sum);
  d->set_dk_abs_sum(r.dk_abs_sum);
  d->set_dv_abs_sum(r.dv_abs_sum);
  for (const RingStepFigures& s : r.steps) {
    records::StepRecord* st = rec.add_steps();
    st->set_rank(static_cast<std::uint32_t>(s.rank));
    st->set_pass(s.pass);
    st->set_step(static_cast<std::uint32_t>(s.step));
    st->set_computed(s.computed);
    st->set_compute_seconds(s.compute_seconds);
    st->set_comm_seconds(s.comm_seconds);
    st->set_wait_seconds(s.wait_seconds);
  }
  return rec;
}

std::string to_json_line(const RingBenchResult& r) { return records::to_json_line(to_record(r)); }

void print_table(std::ostream& os, const RingBenchResult& r) {
  const RingBenchOptions& o = r.options;
  const auto flags = os.flags();
  os << "ring attention: " << r.ranks << " ranks" << (o.rings > 1 ? " (ring 1 of " + std::to_string(o.rings) + ")" : "")
     << ", " << layout::layout_name(o.layout) << ", L = " << o.seq_len << " (" << (o.seq_len + r.ranks - 1) / r.ranks
     << "/rank), Hq/Hkv = " << o.heads << "/" << o.kv_heads << ", D = " << o.head_dim << ", "
     << (o.mask.kind == numerics::MaskKind::kCausal ? "causal" : "bidirectional")
     << (o.mask.window > 0 ? ", window " + std::to_string(o.mask.window) : std::string()) << ", " << dtype_name(o.dtype)
     << ", " << o.backend << " kernels, " << r.last_step + 1 << " ring steps, median of " << o.timed_reps << "\n";
  os << std::fixed << std::setprecision(4);
  os << "  pass   ring s   local s   efficiency\n";
  os << "  fwd  " << std::setw(8) << r.fwd_seconds << "  " << std::setw(8) << r.local_fwd_seconds << "  "
     << std::setw(8) << r.ring_efficiency_fwd << "\n";
  os << "  bwd  " << std::setw(8) << r.bwd_seconds << "  " << std::setw(8) << r.local_bwd_seconds << "  "
     << std::setw(8) << r.ring_efficiency_bwd << "\n";
  os << std::setprecision(1) << "  tokens/s " << r.tokens_per_s << "   GFLOP/s " << r.gflops << " ("
     << r.gflops_per_rank << "/rank)   exposed comm ";
  if (std::isnan(r.exposed_comm_fraction)) {
    os << "n/a (this device's streams are not observed)";
  } else {
    os << std::setprecision(3) << r.exposed_comm_fraction;
  }
  os << "   peak RSS " << std::setprecision(1) << static_cast<double>(r.peak_rss_bytes) / (1 << 20) << " MiB/rank\n";
  os.flags(flags);
}

}  // namespace ra::bench

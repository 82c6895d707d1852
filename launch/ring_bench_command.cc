// `ringattn bench`: ring attention forward + backward across the ranks of the MPI job
// (launch with `mpirun -n P ringattn bench ...`). Rank 0 prints the summary table and
// appends one JSON record per run to --jsonl.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "comm/mpi/mpi_session.h"
#include "launch/commands.h"
#include "runtime/bench/ring_bench.h"
#include "runtime/core/error.h"

namespace ra::launch {
namespace {

struct RingBenchFlags {
  std::int64_t tokens_per_rank = 4096, seq_len = 0;
  std::int64_t heads = 4, kv_heads = 0, head_dim = 64;
  std::string mask = "causal", layout = "auto", dtype = "fp32";
  std::int32_t window = 0;
  int threads = 1, reps = 5, warmup = 1;
  double comm_timeout_s = 300;
  std::string jsonl, trace;
  bool json = false;
};

// Zigzag balances causal work; with a window, contiguous shards let the ring stop after
// ceil((W-1)/shard) hops (zigzag's far chunk needs the whole ring).
layout::Layout pick_layout(const RingBenchFlags& f) {
  if (f.layout == "contiguous") return layout::Layout::kContiguous;
  if (f.layout == "zigzag") return layout::Layout::kZigzag;
  if (f.layout == "striped") return layout::Layout::kStriped;
  return f.mask == "causal" && f.window == 0 ? layout::Layout::kZigzag : layout::Layout::kContiguous;
}

int run(const RingBenchFlags& f) {
  comm::CommOptions copts;
  copts.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.comm_timeout_s * 1000));
  return comm::mpi::run_on_world(copts, [&](comm::Communicator& world) {
    bench::RingBenchOptions o;
    o.layout = pick_layout(f);
    o.seq_len = f.seq_len > 0 ? f.seq_len : f.tokens_per_rank * world.size();
    o.heads = f.heads;
    o.kv_heads = f.kv_heads > 0 ? f.kv_heads : f.heads;
    o.head_dim = f.head_dim;
    o.mask = {f.mask == "causal" ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional, f.window};
    o.dtype = f.dtype == "bf16" ? DType::kBF16 : DType::kF32;
    o.threads = f.threads;
    o.timed_reps = f.reps;
    o.warmup_reps = f.warmup;
    o.trace_path = f.trace;
    if (o.heads % o.kv_heads != 0) {
      throw UsageError("--heads " + std::to_string(o.heads) + " is not a multiple of --kv-heads " +
                       std::to_string(o.kv_heads));
    }
    // Open the record file before the run, so a bad path fails before minutes of work.
    std::ofstream jsonl;
    if (world.rank() == 0 && !f.jsonl.empty()) {
      jsonl.open(f.jsonl, std::ios::app);
      if (!jsonl) throw UsageError("--jsonl '" + f.jsonl + "': cannot open for appending: " + std::strerror(errno));
    }
    const bench::RingBenchResult r = bench::run_ring_bench(world, o);
    if (world.rank() != 0) return 0;
    if (f.json) {
      std::cout << bench::to_json_line(r) << std::endl;
    } else {
      bench::print_table(std::cout, r);
    }
    if (jsonl.is_open()) {
      jsonl << bench::to_json_line(r) << '\n';
      jsonl.flush();
      if (!jsonl) throw UsageError("--jsonl '" + f.jsonl + "': write failed");
    }
    return 0;
  });
}

}  // namespace

void add_ring_bench_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<RingBenchFlags>();
  CLI::App* cmd = app.add_subcommand("bench", "Ring attention forward + backward across the ranks of an MPI job");
  cmd->add_option("--tokens-per-rank", f->tokens_per_rank, "tokens per rank (sequence = P × this)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--seq-len", f->seq_len, "total tokens (overrides --tokens-per-rank; padded to the layout's multiple)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 30));
  cmd->add_option("--heads", f->heads, "query heads Hq")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--kv-heads", f->kv_heads, "key/value heads Hkv (default: Hq)")->check(CLI::Range(1, 1024));
  cmd->add_option("--head-dim", f->head_dim, "head dimension D")->check(CLI::Range(1, 512))->capture_default_str();
  cmd->add_option("--mask", f->mask, "causal or bidirectional")
      ->check(CLI::IsMember({"causal", "bidirectional"}))
      ->capture_default_str();
  cmd->add_option("--window", f->window, "sliding window W (0: none)")->check(CLI::Range(0, 1 << 30))->capture_default_str();
  cmd->add_option("--layout", f->layout, "auto (zigzag for causal, contiguous with a window), contiguous, zigzag, striped")
      ->check(CLI::IsMember({"auto", "contiguous", "zigzag", "striped"}))
      ->capture_default_str();
  cmd->add_option("--dtype", f->dtype, "storage dtype")->check(CLI::IsMember({"fp32", "bf16"}))->capture_default_str();
  cmd->add_option("--threads", f->threads, "kernel threads per rank")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--reps", f->reps, "timed repetitions (medians reported)")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--warmup", f->warmup, "untimed warm-up repetitions")->check(CLI::Range(0, 100))->capture_default_str();
  cmd->add_option("--comm-timeout", f->comm_timeout_s, "seconds any wait for a peer may take before exit code 4")
      ->check(CLI::Range(0.01, 86400.0))
      ->capture_default_str();
  cmd->add_option("--jsonl", f->jsonl, "append one JSON record per run to this file (rank 0)");
  cmd->add_option("--trace", f->trace, "write a Chrome trace (Perfetto) of the timed repetitions");
  cmd->add_flag("--json", f->json, "print the JSON record instead of the table");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace ra::launch

// `ringattn bench`: ring attention forward + backward across the ranks of the MPI job
// (launch with `mpirun -n P ringattn bench ...`), configured by YAML (--config), --set
// overrides and shortcut flags. Rank 0 prints the summary table, records the run in the
// output directory (resolved config, JSONL record, trace) and appends the record to
// --jsonl when given.
#include <iostream>
#include <memory>
#include <string>

#include "comm/mpi/mpi_session.h"
#include "comm/shared_verdict.h"
#include "launch/bench_options.h"
#include "launch/commands.h"
#include "launch/comm_options.h"
#include "launch/config_flags.h"
#include "runtime/backend/backend.h"
#include "runtime/bench/ring_bench.h"
#include "runtime/config/config_print.h"
#include "runtime/config/shared_config.h"
#include "runtime/core/error.h"
#include "runtime/layout/sharding.h"
#include "runtime/plan/memory_guard.h"
#include "runtime/records/output_dir.h"
#include "runtime/records/progress.h"

namespace ra::launch {
namespace {

struct BenchOutputFlags {
  std::string jsonl;
  bool json = false;
};

int run(const ConfigFlags& cf, const BenchOutputFlags& out) {
  return comm::mpi::run_on_world(
      comm::CommOptions{},
      [&](comm::Communicator& world) {
        const config::LoadedConfig loaded = config::load_shared_config(world, cf.request(), backend::cuda_support());
        const config::RunConfig& c = loaded.config;
        world.set_options(comm_options(c.comm()));
        // Rank 0 opens the outputs before the run, so a bad path fails before minutes of work
        // — on every rank, with one line.
        std::unique_ptr<records::OutputDir> dir;
        std::unique_ptr<records::AppendFile> extra;
        comm::run_on_root_and_share_verdict(world, [&] {
          dir = std::make_unique<records::OutputDir>(c.output_dir());
          dir->write_file("config.yaml", config::to_yaml(loaded));
          if (!out.jsonl.empty()) extra = std::make_unique<records::AppendFile>(out.jsonl);
        });
        // Refused before anything of the run is allocated when the node cannot hold it.
        const bench::RingBenchOptions planned = bench_options(c);
        const layout::ShardPlan shards =
            layout::plan_shards(planned.layout, static_cast<int>(c.parallel().sp()), planned.seq_len);
        plan::require_fits(
            world, "bench at " + std::to_string(shards.shard_len) + " tokens per rank",
            plan::bench_memory({shards.shard_len, planned.heads, planned.kv_heads, planned.head_dim, planned.dtype}),
            "Use fewer tokens per rank (bench.tokens_per_rank), more ranks (parallel.sp), or attention.dtype: bf16");
        // dp independent rings of sp ranks each; ring 0 reports.
        trace::Timeline timeline(world.rank());
        backend::BackendOptions bo = backend::backend_options(c);
        bo.observer = &timeline;
        const std::unique_ptr<ring::Backend> be = backend::make_backend(world, bo);
        bench::RingBenchOptions o = bench_options(c);
        o.trace = bench::TraceExport::kGather;
        o.backend = be->name;
        std::unique_ptr<records::Progress> progress;
        if (world.rank() == 0 && !out.json) {
          progress = std::make_unique<records::Progress>("bench repetitions (ring, then local-only)",
                                                         2L * (o.warmup_reps + o.timed_reps));
          o.on_progress = [&progress](long done, long) { progress->update(done); };
        }
        const bench::RingBenchResult r = bench::run_ring_bench(be->context(), timeline, o);
        progress.reset();
        if (world.rank() != 0) return 0;
        const std::string record = bench::to_json_line(r);
        dir->write_file("trace.json", r.trace_json);
        if (out.json) {
          std::cout << record << std::endl;
        } else {
          bench::print_table(std::cout, r);
          std::cout << "records: " << dir->path() << "/{config.yaml,records.jsonl,trace.json}\n";
        }
        dir->append_line("records.jsonl", record);
        if (extra) extra->append_line(record);
        return 0;
      },
      comm::mpi::StartupWatch::kUntilDisarmed);
}

}  // namespace

void add_ring_bench_command(CLI::App& app, Action& action) {
  auto cf = std::make_shared<ConfigFlags>();
  auto out = std::make_shared<BenchOutputFlags>();
  CLI::App* cmd = app.add_subcommand("bench", "Ring attention forward + backward across the ranks of an MPI job");
  add_config_flags(*cmd, cf);
  add_shortcut(*cmd, cf, "--tokens-per-rank", "bench.tokens_per_rank", "tokens per rank (sequence = sp × this)");
  add_shortcut(*cmd, cf, "--seq-len", "bench.seq_len", "total tokens (overrides --tokens-per-rank)");
  add_shortcut(*cmd, cf, "--heads", "attention.heads", "query heads Hq");
  add_shortcut(*cmd, cf, "--kv-heads", "attention.kv_heads", "key/value heads Hkv");
  add_shortcut(*cmd, cf, "--head-dim", "attention.head_dim", "head dimension D");
  add_shortcut(*cmd, cf, "--mask", "attention.mask", "causal or bidirectional");
  add_shortcut(*cmd, cf, "--window", "attention.window", "sliding window W (0: none)");
  add_shortcut(*cmd, cf, "--layout", "parallel.layout", "auto, contiguous, zigzag, striped");
  add_shortcut(*cmd, cf, "--dtype", "attention.dtype", "fp32 or bf16");
  add_shortcut(*cmd, cf, "--threads", "attention.threads", "kernel threads per rank");
  add_shortcut(*cmd, cf, "--reps", "bench.reps", "timed repetitions (medians reported)");
  add_shortcut(*cmd, cf, "--warmup", "bench.warmup", "untimed warm-up repetitions");
  add_shortcut(*cmd, cf, "--comm-timeout", "comm.timeout", "seconds any wait for a peer may take before exit code 4");
  add_shortcut(*cmd, cf, "--out-dir", "output_dir", "directory for config.yaml, records.jsonl, trace.json");
  cmd->add_option("--jsonl", out->jsonl, "also append the JSON record to this file (rank 0)");
  cmd->add_flag("--json", out->json, "print the JSON record instead of the table");
  cmd->callback([cf, out, &action] { action = [cf, out] { return run(*cf, *out); }; });
}

}  // namespace ra::launch

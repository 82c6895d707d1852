#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "launch/commands.h"
#include "runtime/backend/backend.h"
#include "kernels/validate.h"
#include "runtime/bench/kernel_bench.h"
#include "runtime/core/error.h"
#include "runtime/plan/memory_guard.h"

namespace ra::launch {
namespace {

struct KernelBenchFlags {
  std::string op;  // empty: both
  std::string backend = "cpu";
  std::string dtype = "fp32";
  std::int64_t head_dim = 64, heads = 4, kv_heads = 0, len = 4096;
  bool causal = false, json = false;
  std::int32_t window = 0;
  int threads = 1, reps = 5, warmup = 1;
};

}  // namespace

void add_kernel_bench_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<KernelBenchFlags>();
  CLI::App* cmd = app.add_subcommand("kernel-bench", "Time the attention block operation on one block");
  cmd->add_option("--backend", flags->backend, "kernels: cpu, or simt (the CUDA kernels under the emulator; bf16)")
      ->check(CLI::IsMember({"cpu", "simt"}))
      ->capture_default_str();
  cmd->add_option("--op", flags->op, "fwd or bwd (default: both)")->check(CLI::IsMember({"fwd", "bwd"}));
  cmd->add_option("--dtype", flags->dtype, "storage dtype")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--head-dim", flags->head_dim, "head dimension D")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--heads", flags->heads, "query heads Hq")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--kv-heads", flags->kv_heads, "key/value heads Hkv (default: Hq)")->check(CLI::Range(1, 1024));
  cmd->add_option("--len", flags->len, "tokens L (queries and keys)")
      ->check(CLI::Range(1, 1 << 24))
      ->capture_default_str();
  cmd->add_flag("--causal", flags->causal, "causal mask (default: bidirectional)");
  cmd->add_option("--window", flags->window, "sliding window: each query sees the keys within this distance (0: none)")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--reps", flags->reps, "timed repetitions (median reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--warmup", flags->warmup, "untimed warm-up repetitions")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "one JSON object per line instead of a table");
  cmd->callback([flags, &action] {
    action = [flags] {
      std::vector<bench::KernelOp> ops;
      if (flags->op.empty() || flags->op == "fwd") ops.push_back(bench::KernelOp::kForward);
      if (flags->op.empty() || flags->op == "bwd") ops.push_back(bench::KernelOp::kBackward);
      if (flags->backend == "simt" && flags->dtype != "bf16") {
        throw UsageError("--backend simt runs the CUDA kernels, which store bf16: add --dtype bf16");
      }
      backend::BackendOptions bo;
      bo.kernels = backend::parse_kernels(flags->backend);
      bo.threads = flags->threads;
      const std::unique_ptr<kernels::AttentionBlockOp> block_op = backend::make_block_op(bo);
      // The backend's head dims are checked before any tensor of the benchmark is allocated.
      const std::string head_dim_refusal = kernels::head_dim_refusal(flags->head_dim, block_op->support().head_dims);
      if (!head_dim_refusal.empty())
        throw UsageError("--head-dim " + std::to_string(flags->head_dim) + ": " + head_dim_refusal);
      // Refused before its buffers are allocated when this machine cannot hold them.
      const std::string refusal =
          plan::fit_refusal("kernel-bench at --len " + std::to_string(flags->len),
                            plan::kernel_bench_memory(flags->len, flags->heads, flags->head_dim,
                                                      flags->dtype == "bf16" ? DType::kBF16 : DType::kF32),
                            1, plan::available_memory(), "Use a smaller --len, --heads or --head-dim");
      if (!refusal.empty()) throw UsageError(refusal);
      std::vector<bench::KernelBenchResult> results;
      for (bench::KernelOp op : ops) {
        bench::KernelBenchOptions o;
        o.op = op;
        o.dtype = flags->dtype == "bf16" ? DType::kBF16 : DType::kF32;
        o.head_dim = flags->head_dim;
        o.heads = flags->heads;
        o.kv_heads = flags->kv_heads > 0 ? flags->kv_heads : flags->heads;
        o.len = flags->len;
        o.mask = flags->causal ? numerics::MaskKind::kCausal : numerics::MaskKind::kBidirectional;
        o.window = flags->window;
        o.threads = flags->threads;
        o.timed_reps = flags->reps;
        o.warmup_reps = flags->warmup;
        results.push_back(bench::run_kernel_bench(*block_op, o));
        if (flags->json) std::cout << bench::to_json_line(results.back()) << std::endl;
      }
      if (!flags->json) bench::print_table(std::cout, results);
      return 0;
    };
  });
}

}  // namespace ra::launch

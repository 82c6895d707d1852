// `ringattn plan --config F [--hardware H] [--ranks N] [--json]`: before a job is queued,
// what one training step of the config needs per GPU and how fast it goes on the
// hardware of a profile (configs/hardware/*.yaml), for the config's sp × dp and for every
// other split of the same GPUs, with the recommended one (docs/scaling.md). Needs no MPI
// and no GPU: it runs on a login node.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "launch/bench_options.h"
#include "launch/commands.h"
#include "launch/config_flags.h"
#include "runtime/backend/backend.h"
#include "runtime/core/error.h"
#include "runtime/plan/bench_plan.h"
#include "runtime/plan/hardware.h"
#include "runtime/plan/memory_guard.h"
#include "runtime/plan/step_plan.h"
#include "runtime/train/train_config.h"

namespace ra::launch {
namespace {

struct PlanFlags {
  std::string hardware;
  std::string what = "train";  // or "bench"
  int ranks = 0;
  bool json = false;
};

std::string seconds(double s) {
  char out[32];
  if (s >= 1) {
    std::snprintf(out, sizeof out, "%.2f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(out, sizeof out, "%.1f ms", s * 1e3);
  } else {
    std::snprintf(out, sizeof out, "%.0f us", s * 1e6);
  }
  return out;
}

nlohmann::json to_json(const plan::StepPlan& p) {
  nlohmann::json terms = nlohmann::json::array();
  for (const plan::MemoryTerm& t : p.memory.terms) {
    terms.push_back(
        {{"name", t.name}, {"bytes", t.bytes}, {"where", t.where == plan::Residence::kDevice ? "device" : "host"}});
  }
  return {{"sp", p.in.sp},
          {"dp", p.in.dp},
          {"tokens_per_rank", p.shard_tokens * p.in.batch},
          {"device_bytes", p.device_bytes},
          {"step_bytes", p.memory.total_bytes_through({})},
          {"fits", p.fits},
          {"memory_terms", terms},
          {"ring_steps", p.ring.steps},
          {"ring_fwd_seconds", p.ring.fwd_s},
          {"ring_bwd_seconds", p.ring.bwd_s},
          {"ring_fwd_hop_seconds", p.ring.fwd_hop_s},
          {"min_tokens_per_rank_for_overlap", p.ring.min_tokens_for_overlap},
          {"attention_seconds", p.attention_s},
          {"placement", p.in.placement == plan::TrainPlacement::kHost ? "host" : "device"},
          {"gemm_seconds", p.gemm_s},
          {"elementwise_seconds", p.elementwise_s},
          {"optimizer_seconds", p.optimizer_s},
          {"sync_seconds", p.sync_s},
          {"grad_reduce_seconds", p.grad_reduce_s},
          {"grad_reduce_exposed_seconds", p.grad_exposed_s},
          {"exposed_comm_seconds", p.exposed_comm_s},
          {"step_seconds", p.step_s},
          {"tokens_per_s", p.tokens_per_s},
          {"model_flops", p.model_flops},
          {"mfu", p.mfu}};
}

void print_memory(std::ostream& os, const plan::MemoryEstimate& m) {
  for (const plan::MemoryTerm& t : m.terms) {
    os << "  " << std::left << std::setw(64) << t.name << std::right << std::setw(12) << plan::format_bytes(t.bytes)
       << (t.where == plan::Residence::kDevice ? "  device" : "  host") << '\n';
  }
  const std::int64_t device_bytes = m.bytes_on(plan::Residence::kDevice);
  // Everything on the host (the cpu backend's training): its total is the RAM per rank.
  os << "  " << std::left << std::setw(64) << (device_bytes > 0 ? "total on the device" : "total in host memory")
     << std::right << std::setw(12) << plan::format_bytes(device_bytes > 0 ? device_bytes : m.total_bytes()) << '\n';
}

// `--for bench`: what `ringattn bench` of the config will measure (one ring of sp ranks).
int run_bench(const config::RunConfig& c, const PlanFlags& f) {
  const bench::RingBenchOptions bo = bench_options(c);
  plan::BenchInputs in;
  in.seq_len = bo.seq_len;
  in.sp = static_cast<int>(c.parallel().sp());
  in.heads = bo.heads;
  in.kv_heads = bo.kv_heads;
  in.head_dim = bo.head_dim;
  in.storage = bo.dtype;
  in.mask = bo.mask;
  in.layout = bo.layout;
  if (f.hardware.empty())
    throw UsageError(
        "plan --for bench predicts times: it needs --hardware (a profile; `ringattn calibrate` writes one of this "
        "machine)");
  const plan::HardwareProfile hw = plan::load_hardware_profile(f.hardware);
  const plan::BenchPlan b = plan::plan_bench(in, hw);
  if (f.json) {
    const nlohmann::json j = {{"hardware", hw.name},
                              {"sp", in.sp},
                              {"seq_len", in.seq_len},
                              {"tokens_per_rank", b.shard_tokens},
                              {"device_bytes", b.memory.bytes_on(plan::Residence::kDevice)},
                              {"host_bytes", b.memory.bytes_on(plan::Residence::kHost)},
                              {"total_bytes", b.memory.total_bytes()},
                              // What `ringattn bench`'s peak_rss_bytes samples less the
                              // process's own: the high-water mark of generating the inputs
                              // and the ring repetitions (before the digest and local-only
                              // phases; runtime/bench/ring_bench.cc).
                              {"ring_phase_bytes", b.memory.total_bytes_through({"inputs", "ring"})},
                              {"ring_steps", b.ring.steps},
                              {"fwd_seconds", b.ring.fwd_s},
                              {"bwd_seconds", b.ring.bwd_s},
                              // What the passes are made of (time_model.h): the blocks'
                              // compute, exposed hops, memory passes, per-step overhead.
                              {"fwd_compute_seconds", b.ring.fwd_compute_s},
                              {"bwd_compute_seconds", b.ring.bwd_compute_s},
                              {"fwd_exposed_seconds", b.ring.fwd_exposed_s},
                              {"bwd_exposed_seconds", b.ring.bwd_exposed_s},
                              {"fwd_memory_seconds", b.ring.fwd_memory_s},
                              {"bwd_memory_seconds", b.ring.bwd_memory_s},
                              {"fwd_overhead_seconds", b.ring.fwd_overhead_s},
                              {"bwd_overhead_seconds", b.ring.bwd_overhead_s},
                              {"ring_efficiency", b.ring_efficiency},
                              {"exposed_comm_fraction", b.exposed_fraction},
                              {"tokens_per_s", b.tokens_per_s},
                              {"min_tokens_per_rank_for_overlap", b.ring.min_tokens_for_overlap}};
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << "plan: bench of " << in.seq_len << " tokens on " << in.sp << " ranks (" << b.shard_tokens
            << " per rank) on " << hw.name << "\nmemory per rank:\n";
  print_memory(std::cout, b.memory);
  std::cout << "  total with the host copies" << std::string(38, ' ') << plan::format_bytes(b.memory.total_bytes())
            << "\nring: " << b.ring.steps << " steps, forward " << seconds(b.ring.fwd_s) << ", backward "
            << seconds(b.ring.bwd_s) << ", ring efficiency " << std::setprecision(3) << b.ring_efficiency
            << ", exposed communication " << b.exposed_fraction << ", " << std::setprecision(6) << b.tokens_per_s
            << " tokens/s; full overlap from " << b.ring.min_tokens_for_overlap << " tokens per rank\n";
  return 0;
}

int run(const ConfigFlags& cf, const PlanFlags& f) {
  config::LoadedConfig loaded = config::load_config(cf.request());
  const int world = f.ranks > 0 ? f.ranks : config::default_world_size(loaded);
  // Planned as the CUDA build resolves it (the GPU configs), whatever this build is.
  config::resolve(loaded, {world, backend::planning_support()});
  const config::RunConfig& c = loaded.config;
  if (f.what == "bench") return run_bench(c, f);
  config::RunConfig as_device = c;
  as_device.mutable_attention()->set_backend(config::BACKEND_CUDA);
  as_device.mutable_attention()->set_dtype(config::DATA_TYPE_BF16);
  const train::TrainOptions o = train::train_options_from(as_device);
  plan::StepInputs in;
  in.model = o.model;
  in.seq_len = static_cast<std::int64_t>(c.train().seq_len());
  in.batch = static_cast<std::int64_t>(c.train().batch_size());
  in.dp = o.dp;
  in.sp = world / o.dp;
  in.layout = o.layout;
  in.precision = o.device_precision;
  in.grad_bucket_mb = c.train().grad_bucket_mb();
  // Placed as `ringattn train` places it (and refuses a run that does not fit): the cpu
  // backend runs the host model (everything in host memory, f32, no bf16 staging and no
  // device copy of the logits); simt and cuda the device model.
  const bool host = c.attention().backend() == config::BACKEND_CPU;
  in.placement = host ? plan::TrainPlacement::kHost : plan::TrainPlacement::kDevice;

  if (f.hardware.empty()) {
    // Memory only: no profile says how fast.
    plan::TrainShape shape;
    shape.model = in.model;
    shape.tokens = in.batch * layout::plan_shards(in.layout, in.sp, in.seq_len).shard_len;
    shape.eval_tokens = shape.tokens;  // eval_batches >= 1: every run evaluates at its end
    shape.placement = host ? plan::TrainPlacement::kHost : plan::TrainPlacement::kDevice;
    shape.precision = in.precision;
    shape.sp = in.sp;
    const plan::MemoryEstimate m = plan::train_memory(shape);
    if (f.json) {
      nlohmann::json j = {{"sp", in.sp},
                          {"dp", in.dp},
                          {"tokens_per_rank", shape.tokens},
                          {"placement", host ? "host" : "device"},
                          {"device_bytes", m.bytes_on(plan::Residence::kDevice)},
                          {"host_bytes", m.bytes_on(plan::Residence::kHost)},
                          {"step_bytes", m.total_bytes_through({})}};
      std::cout << j.dump() << std::endl;
      return 0;
    }
    std::cout << "plan: " << world << " ranks (sp " << in.sp << " x dp " << in.dp << "), " << in.batch << " x "
              << in.seq_len << " tokens per step per ring, " << shape.tokens << " tokens per rank\n"
              << (host ? "memory per rank (attention.backend cpu: all of it in host memory):\n"
                       : std::string("memory per rank (attention.backend ") +
                             (c.attention().backend() == config::BACKEND_SIMT ? "simt" : "cuda") +
                             ": the model on the device):\n");
    print_memory(std::cout, m);
    std::cout << "time: not estimated (pass --hardware configs/hardware/<gpu>.yaml)\n";
    return 0;
  }

  const plan::HardwareProfile hw = plan::load_hardware_profile(f.hardware);
  const std::vector<plan::StepPlan> plans = plan::candidates(in, hw, world);
  const std::size_t best = plan::recommend(plans);
  const plan::StepPlan configured = plan::plan_step(in, hw);
  if (f.json) {
    nlohmann::json j = {{"hardware", hw.name},
                        {"gpus", world},
                        {"seq_len", in.seq_len},
                        {"batch", in.batch},
                        {"configured", to_json(configured)}};
    nlohmann::json all = nlohmann::json::array();
    for (const plan::StepPlan& p : plans) all.push_back(to_json(p));
    j["candidates"] = all;
    // None fits: no recommendation, only the split that needs the least memory.
    const nlohmann::json split = {{"sp", plans[best].in.sp}, {"dp", plans[best].in.dp}};
    j["recommended"] = plans[best].fits ? split : nlohmann::json(nullptr);
    if (!plans[best].fits) j["least_memory"] = split;
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::ostream& os = std::cout;
  os << "plan: " << hw.name << " x " << world << ", " << in.batch << " sequences of " << in.seq_len
     << " tokens per ring per step, model " << o.model.layers << " layers d_model " << o.model.d_model << " ("
     << model::ParamLayout(o.model).total_elems() << " parameters), layout " << layout::layout_name(in.layout)
     << "\n\nconfigured sp " << in.sp << " x dp " << in.dp << ": memory per " << (host ? "rank" : "GPU")
     << (host ? " (attention.backend cpu: the host model)\n" : "\n");
  print_memory(os, configured.memory);
  if (!configured.fits) os << "  " << plan::fit_advice(configured, hw) << '\n';
  os << "\n  ring per layer: " << configured.ring.steps << " steps, hop " << seconds(configured.ring.fwd_hop_s)
     << " (fwd), pass " << seconds(configured.ring.fwd_s) << " fwd / " << seconds(configured.ring.bwd_s)
     << " bwd; full overlap from " << configured.ring.min_tokens_for_overlap << " tokens per rank (have "
     << configured.shard_tokens << ")\n";
  os << "  step: attention " << seconds(configured.attention_s) << " (exposed comm "
     << seconds(configured.exposed_comm_s) << "), GEMMs " << seconds(configured.gemm_s);
  if (host) os << ", elementwise " << seconds(configured.elementwise_s);
  os << ", gradient all-reduce " << seconds(configured.grad_reduce_s) << " (exposed "
     << seconds(configured.grad_exposed_s) << "), optimizer " << seconds(configured.optimizer_s) << ", syncs "
     << seconds(configured.sync_s) << " = " << seconds(configured.step_s) << "\n";
  if (host && hw.host_elementwise_ns_per_elem == 0) {
    os << "  (attention.backend cpu: the host model's elementwise work is not timed — this profile has no "
          "host_elementwise_ns_per_elem; `ringattn calibrate` on the CPU node measures it)\n";
  }
  os << '\n';
  os << "every split of " << world << (host ? " ranks:\n" : " GPUs:\n")
     << "     sp    dp  tokens/rank   memory/GPU  fits      step   exposed   tokens/s     MFU\n";
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const plan::StepPlan& p = plans[i];
    char line[200];
    std::snprintf(line, sizeof line, "  %5d %5d %12lld %12s  %-4s %9s %9s %10.0f %6.1f%%%s\n", p.in.sp, p.in.dp,
                  static_cast<long long>(p.shard_tokens * p.in.batch), plan::format_bytes(p.device_bytes).c_str(),
                  p.fits ? "yes" : "NO", seconds(p.step_s).c_str(),
                  seconds(p.exposed_comm_s + p.grad_exposed_s).c_str(), p.tokens_per_s, 100 * p.mfu,
                  i != best ? ""
                  : p.fits  ? "   <- recommended"
                            : "   <- least memory (none fits)");
    os << line;
  }
  if (!plans[best].fits) os << "none fits: " << plan::fit_advice(plans[best], hw) << '\n';
  os << "(model: docs/scaling.md; assumptions of the profile: attention at " << hw.attention_efficiency * 100
     << "% and GEMMs at " << hw.gemm_efficiency * 100 << "% of peak)\n";
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, Action& action) {
  auto cf = std::make_shared<ConfigFlags>();
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Memory per GPU, step time and throughput of a training config on a hardware profile, and the best sp x dp");
  add_config_flags(*cmd, cf);
  cmd->add_option("--hardware", flags->hardware, "hardware profile (configs/hardware/*.yaml); without: memory only");
  cmd->add_option("--for", flags->what, "train (one training step on GPUs) or bench (what `ringattn bench` measures)")
      ->check(CLI::IsMember({"train", "bench"}))
      ->capture_default_str();
  cmd->add_option("--ranks", flags->ranks, "GPUs of the job (default: parallel.sp x parallel.dp)")
      ->check(CLI::Range(1, config::kMaxRanks));
  cmd->add_flag("--json", flags->json, "one JSON object instead of the table");
  cmd->callback([cf, flags, &action] { action = [cf, flags] { return run(*cf, *flags); }; });
}

}  // namespace ra::launch

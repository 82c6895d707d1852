// `ringattn train`: sequence-parallel training on the cpu, simt or cuda backend (launch with
// `mpirun -n P ringattn train --config F`). Rank 0 prints a progress line, writes the
// resolved config and JSONL records (train_step, train_eval) to the output directory, and
// the final evaluation. SIGUSR1 or SIGTERM (Slurm's --signal before the time limit, or
// preemption) finishes the current step, writes a checkpoint and exits 0; the next run
// with the same config resumes from it.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "comm/mpi/mpi_session.h"
#include "comm/shared_verdict.h"
#include "runtime/layout/sharding.h"
#include "runtime/plan/memory_guard.h"
#include "launch/commands.h"
#include "launch/comm_options.h"
#include "launch/config_flags.h"
#include "runtime/backend/backend.h"
#include "runtime/checkpoint/root.h"
#include "runtime/config/config_print.h"
#include "runtime/config/shared_config.h"
#include "runtime/records/json_line.h"
#include "runtime/records/output_dir.h"
#include "runtime/records/progress.h"
#include "runtime/records/records.pb.h"
#include "runtime/records/run_lock.h"
#include "runtime/train/checkpoint_store.h"
#include "runtime/train/data_source.h"
#include "runtime/train/train_config.h"

namespace ra::launch {
namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int /*signo*/) { g_stop_requested.store(true); }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

records::TrainStepRecord step_record(const train::StepReport& r, const train::TrainOptions& o, int ranks) {
  records::TrainStepRecord rec;
  rec.set_record("train_step");
  rec.set_step(static_cast<std::uint32_t>(r.step));
  rec.set_loss(r.loss);
  rec.set_lr(r.lr);
  rec.set_grad_norm(r.grad_norm);
  rec.set_tokens(r.tokens);
  rec.set_tokens_per_s(r.tokens_per_s);
  rec.set_step_seconds(r.step_seconds);
  rec.set_attention_seconds(r.attention_seconds);
  rec.set_comm_seconds(r.comm_seconds);
  rec.set_exposed_comm_seconds(r.exposed_comm_seconds);
  const double busy = r.attention_seconds + r.exposed_comm_seconds;
  rec.set_exposed_comm_fraction(busy > 0 ? r.exposed_comm_seconds / busy : 0.0);
  rec.set_critical_exposed_comm_seconds(r.critical_exposed_comm_seconds);
  const double critical_busy = r.attention_seconds + r.critical_exposed_comm_seconds;
  rec.set_critical_exposed_comm_fraction(critical_busy > 0 ? r.critical_exposed_comm_seconds / critical_busy : 0.0);
  rec.set_peak_rss_bytes(r.peak_rss_bytes);
  rec.set_exposed_grad_reduce_seconds(r.exposed_grad_reduce_seconds);
  rec.set_grad_buckets(static_cast<std::uint32_t>(r.grad_buckets));
  rec.set_activation_bytes_per_token(static_cast<double>(r.activation_bytes_per_token));
  rec.set_ranks(static_cast<std::uint32_t>(ranks));
  rec.set_dp(static_cast<std::uint32_t>(o.dp));
  rec.set_sp(static_cast<std::uint32_t>(ranks / o.dp));
  return rec;
}

records::TrainEvalRecord eval_record(const train::EvalReport& e) {
  records::TrainEvalRecord rec;
  rec.set_record("train_eval");
  rec.set_step(static_cast<std::uint32_t>(e.step));
  rec.set_token_accuracy(e.token_accuracy);
  rec.set_sequence_accuracy(e.sequence_accuracy);
  rec.set_loss(e.loss);
  return rec;
}

// Whether `path` is `dir` or below it (both exist; symlinks and `..` resolved): its
// lock would be the output directory's.
bool is_inside(const std::string& path, const std::string& dir) {
  std::error_code ec_path, ec_dir;
  const std::filesystem::path p = std::filesystem::weakly_canonical(path, ec_path);
  const std::filesystem::path d = std::filesystem::canonical(dir, ec_dir);
  if (ec_path || ec_dir) return false;  // then it gets a lock of its own: never less safe
  const auto mismatch = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return mismatch.first == d.end();
}

int run(const ConfigFlags& cf) {
  install_stop_handlers();
  return comm::mpi::run_on_world(
      comm::CommOptions{},
      [&](comm::Communicator& world) {
        const config::LoadedConfig loaded = config::load_shared_config(world, cf.request(), backend::cuda_support());
        const config::RunConfig& c = loaded.config;
        world.set_options(comm_options(c.comm()));
        std::unique_ptr<records::OutputDir> dir;
        std::unique_ptr<records::RunLock> run_lock, ckpt_lock;  // rank 0, for the whole run
        train::TrainOptions o;
        const std::string ckpt_dir =
            c.train().checkpoint_dir().empty() ? c.output_dir() + "/checkpoints" : c.train().checkpoint_dir();
        train::ResumeOptions resume;
        resume.resume = c.train().resume() ? train::ResumePolicy::kFromLatest : train::ResumePolicy::kFresh;
        resume.on_damaged = c.train().on_damaged_checkpoint() == config::DAMAGED_CHECKPOINT_SET_ASIDE
                                ? checkpoint::DamagedPolicy::kSetAside
                                : checkpoint::DamagedPolicy::kRefuse;
        resume.warn = [](const std::string& w) { std::cerr << "ringattn train: warning: " << w << '\n'; };
        std::optional<std::string> resume_from;
        // Everything a rank can refuse before training (options, data files, output
        // directory, another run in it, the checkpoints it would resume from or collide
        // with) is checked by rank 0 and shared: one line, the same exit code everywhere.
        comm::run_on_root_and_share_verdict(world, [&] {
          o = train::train_options_from(c);
          train::check_data(c.train(), c.model());
          dir = std::make_unique<records::OutputDir>(c.output_dir());
          // Before anything is written: a second run into this directory refuses here, and
          // its records never interleave with the first's.
          run_lock = std::make_unique<records::RunLock>(dir->path(), "output directory", "ringattn train");
          // A checkpoint directory of its own (train.checkpoint_dir) is shared by name, not by
          // the output directory: two runs with different output directories would delete
          // each other's checkpoints (retention assumes one writer per root).
          if (!c.train().checkpoint_dir().empty() && !is_inside(ckpt_dir, dir->path())) {
            checkpoint::prepare_root_for_writing(ckpt_dir);
            ckpt_lock = std::make_unique<records::RunLock>(ckpt_dir, "checkpoint directory", "ringattn train");
          }
          resume_from = train::plan_resume(ckpt_dir, resume);
          dir->write_file("config.yaml", config::to_yaml(loaded));
        });
        o = train::train_options_from(c);
        {
          // Refused before the model, the data or the ring allocate when the node cannot hold it.
          const auto sp = static_cast<int>(world.size() / o.dp);
          const std::int64_t tokens =
              static_cast<std::int64_t>(c.train().batch_size()) *
              layout::plan_shards(o.layout, sp, static_cast<std::int64_t>(c.train().seq_len())).shard_len;
          plan::TrainShape shape;
          shape.model = o.model;
          shape.tokens = tokens;
          shape.eval_tokens = tokens;
          shape.placement = c.attention().backend() == config::BACKEND_CPU ? plan::TrainPlacement::kHost
                                                                           : plan::TrainPlacement::kDevice;
          shape.precision = o.device_precision;
          shape.sp = sp;
          plan::require_fits(
              world, "train at " + std::to_string(tokens) + " tokens per rank per step", plan::train_memory(shape),
              "Use a smaller train.batch_size or train.seq_len, more sequence-parallel ranks (parallel.sp), "
              "or a smaller model");
        }
        std::unique_ptr<train::BatchSource> data = train::make_batch_source(c.train(), c.model());
        const model::ParamLayout param_layout(o.model);
        train::CheckpointStore store(ckpt_dir, train::config_hash(c), c.train().keep_latest_k(), resume,
                                     train::WorldShape{world.size(), o.dp}, param_layout);
        if (world.rank() == 0) store.set_planned(resume_from);
        const bool root = world.rank() == 0;
        std::unique_ptr<records::Progress> progress;
        if (root) progress = std::make_unique<records::Progress>("train steps", static_cast<long>(o.steps));
        train::TrainCallbacks cb;
        cb.on_step = [&](const train::StepReport& r) {
          dir->append_line("records.jsonl", records::to_json_line(step_record(r, o, world.size())));
          progress->update(static_cast<long>(r.step));
        };
        cb.on_eval = [&](const train::EvalReport& e) {
          dir->append_line("records.jsonl", records::to_json_line(eval_record(e)));
        };
        cb.on_note = [&](const std::string& note) { std::cerr << "ringattn train: " << note << '\n'; };
        const backend::BackendOptions bo = backend::backend_options(c);
        const ring::BackendFactory make_backend = [&](device::StreamObserver* observer) {
          backend::BackendOptions with = bo;
          with.observer = observer;
          return backend::make_backend(world, with);
        };
        const train::DeviceModelFactory make_device_model = [&](ring::Backend& b) {
          return backend::make_device_model_parts(bo, b);  // null on the cpu backend: the host model
        };
        const train::TrainOutcome out =
            train::train(world, make_backend, o, *data, &store, g_stop_requested, cb, make_device_model);
        progress.reset();
        if (!root) return 0;
        if (out.last_eval) {
          std::printf("step %lld: eval loss %.4f, token accuracy %.3f, sequence (passkey) accuracy %.3f\n",
                      static_cast<long long>(out.last_eval->step), out.last_eval->loss, out.last_eval->token_accuracy,
                      out.last_eval->sequence_accuracy);
        }
        std::printf("%s after %lld steps; records: %s/{config.yaml,records.jsonl}; checkpoints: %s\n",
                    out.stopped_early ? "stopped (checkpointed)" : "done", static_cast<long long>(out.steps_done),
                    dir->path().c_str(), ckpt_dir.c_str());
        return 0;
      },
      comm::mpi::StartupWatch::kUntilDisarmed);
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto cf = std::make_shared<ConfigFlags>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Sequence-parallel training of a long-context transformer (cpu, simt or cuda backend)");
  add_config_flags(*cmd, cf);
  add_shortcut(*cmd, cf, "--steps", "train.steps", "optimizer steps");
  add_shortcut(*cmd, cf, "--seq-len", "train.seq_len", "tokens per sequence");
  add_shortcut(*cmd, cf, "--out-dir", "output_dir", "directory for config.yaml, records.jsonl, checkpoints");
  add_shortcut(*cmd, cf, "--comm-timeout", "comm.timeout", "seconds any wait for a peer may take before exit code 4");
  cmd->callback([cf, &action] { action = [cf] { return run(*cf); }; });
}

}  // namespace ra::launch

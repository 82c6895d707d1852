#include "runtime/train/trainer.h"

#include <algorithm>
#include <chrono>

#include "runtime/core/check.h"
#include "runtime/core/measure.h"
#include "runtime/model/layers.h"
#include "runtime/model/params.h"
#include "runtime/train/engine.h"
#include "runtime/train/span_totals.h"

namespace ra::train {
namespace {

using Clock = std::chrono::steady_clock;

// The world's ranks as dp groups of sp consecutive ranks, each group one ring.
struct Groups {
  int sp = 1, dp_rank = 0, sp_rank = 0;
};

Groups make_groups(comm::Communicator& world, int dp) {
  RA_CHECK(UsageError, dp >= 1 && world.size() % dp == 0, "parallel.dp = ", dp, " does not divide the ", world.size(),
           " ranks");
  Groups g;
  g.sp = world.size() / dp;
  g.dp_rank = world.rank() / g.sp;
  g.sp_rank = world.rank() % g.sp;
  return g;
}

class Trainer {
 public:
  Trainer(comm::Communicator& world, const ring::BackendFactory& make_backend, const TrainOptions& o, BatchSource& data,
          const DeviceModelFactory& make_device_model)
      : world_(world),
        o_(o),
        data_(data),
        groups_(make_groups(world, o.dp)),
        totals_("compute", "comm"),
        backend_(make_backend(&totals_)) {  // its streams report to the totals
    RA_CHECK(InternalError, backend_->sp->size() == groups_.sp && backend_->sp->rank() == groups_.sp_rank,
             "the backend's ring (", backend_->sp->size(), " ranks) is not the trainer's (", groups_.sp, ")");
    std::vector<float> params;
    model::init_params<float>(model::ParamLayout(o.model), o.seed, o.model.layers, params);
    std::unique_ptr<model::DeviceModelParts> parts = make_device_model ? make_device_model(*backend_) : nullptr;
    if (parts != nullptr) {
      engine_ = make_device_engine(world, *backend_, std::move(parts), o, params);
    } else {
      engine_ = make_host_engine(world, *backend_, o, std::move(params));
    }
  }

  void restore(const TrainState& s) {
    const std::size_t elems = engine_->param_count();
    RA_CHECK(CheckpointError, s.params.size() == elems && s.adam_m.size() == elems && s.adam_v.size() == elems,
             "checkpoint holds ", s.params.size(), " parameters, this model has ", elems);
    engine_->restore(s);
    step_ = s.step;
  }

  TrainState snapshot() const {
    TrainState s;
    s.step = step_;
    engine_->snapshot(s);
    return s;
  }

  std::int64_t step() const { return step_; }

  // One optimizer step; returns the report of the step (rank-max timings).
  StepReport train_step() {
    const auto t0 = Clock::now();
    const SequenceBatch b = data_.batch(step_, groups_.dp_rank, o_.dp);
    const LocalTokens t = shard_batch(b, o_.layout, groups_.sp_rank, groups_.sp);
    const double count = all_reduce_scalar(world_, static_cast<double>(count_targets(t.targets)), comm::ReduceOp::kSum);
    const float scale = count > 0 ? static_cast<float>(1.0 / count) : 0.0f;
    const EngineStep es = engine_->step(t, scale, step_);
    ++step_;

    const SpanSeconds spans = totals_.take();
    std::vector<double> maxes{seconds_since(t0),
                              spans.compute,
                              spans.comm,
                              spans.exposed_wait,
                              static_cast<double>(peak_rss_bytes()),
                              es.exposed_grad_reduce_seconds};
    all_reduce(world_, maxes, comm::ReduceOp::kMax);
    // The critical path's wait: the rank whose compute equals the maximum (max returns one
    // of the ranks' values exactly; ties take the larger wait) contributes its wait.
    const double critical_wait =
        all_reduce_scalar(world_, spans.compute >= maxes[1] ? spans.exposed_wait : 0.0, comm::ReduceOp::kMax);
    StepReport r;
    r.step = step_;
    r.loss = count > 0 ? es.loss_sum / count : 0.0;
    r.lr = es.stats.lr;
    r.grad_norm = es.stats.grad_norm;
    r.tokens = count;
    r.step_seconds = maxes[0];
    r.tokens_per_s = maxes[0] > 0 ? static_cast<double>(b.batch * b.seq_len * o_.dp) / maxes[0] : 0.0;
    r.attention_seconds = maxes[1];
    r.comm_seconds = maxes[2];
    r.exposed_comm_seconds = maxes[3];
    r.critical_exposed_comm_seconds = critical_wait;
    r.peak_rss_bytes = maxes[4];
    r.exposed_grad_reduce_seconds = maxes[5];
    r.grad_buckets = es.grad_buckets;
    r.activation_bytes_per_token = engine_->activation_bytes_per_token();
    return r;
  }

  // Accuracy of argmax predictions on the held-out batches (every rank takes part).
  EvalReport evaluate() {
    double correct = 0, targets = 0, loss = 0;
    double seq_correct = 0, seqs = 0;
    for (std::int64_t i = 0; i < o_.eval_batches; ++i) {
      const SequenceBatch b = data_.eval_batch(i, groups_.dp_rank, o_.dp);
      const LocalTokens t = shard_batch(b, o_.layout, groups_.sp_rank, groups_.sp);
      std::vector<float> logits;
      engine_->logits(t, logits);
      std::int64_t rows = 0;
      loss += model::cross_entropy_forward<float>(logits.data(), t.targets.data(), t.n, o_.model.vocab, rows);
      // Per sequence of the whole job: [dp groups × batch] wrong and target counts.
      const std::int64_t shard_len = t.n / b.batch, seqs_total = b.batch * o_.dp;
      std::vector<double> wrong(static_cast<std::size_t>(seqs_total), 0.0), has(wrong.size(), 0.0);
      for (std::int64_t k = 0; k < t.n; ++k) {
        const std::int32_t target = t.targets[static_cast<std::size_t>(k)];
        if (target < 0) continue;
        const float* row = logits.data() + k * o_.model.vocab;
        const auto predicted = static_cast<std::int32_t>(std::max_element(row, row + o_.model.vocab) - row);
        const auto seq = static_cast<std::size_t>(groups_.dp_rank * b.batch + k / shard_len);
        has[seq] += 1;
        if (predicted != target) wrong[seq] += 1;
      }
      all_reduce(world_, wrong, comm::ReduceOp::kSum);
      all_reduce(world_, has, comm::ReduceOp::kSum);
      for (std::size_t s = 0; s < wrong.size(); ++s) {
        if (has[s] == 0) continue;
        seqs += 1;
        seq_correct += wrong[s] == 0 ? 1 : 0;
        targets += has[s];
        correct += has[s] - wrong[s];
      }
    }
    loss = all_reduce_scalar(world_, loss, comm::ReduceOp::kSum);
    totals_.take();  // evaluation time is not a training step's
    EvalReport e;
    e.step = step_;
    e.token_accuracy = targets > 0 ? correct / targets : 0.0;
    e.sequence_accuracy = seqs > 0 ? seq_correct / seqs : 0.0;
    e.loss = targets > 0 ? loss / targets : 0.0;
    return e;
  }

 private:
  comm::Communicator& world_;
  const TrainOptions& o_;
  BatchSource& data_;
  Groups groups_;
  SpanTotals totals_;
  std::unique_ptr<ring::Backend> backend_;
  std::unique_ptr<Engine> engine_;  // after the backend: destroyed before its device
  std::int64_t step_ = 0;           // updates done
};

bool due(std::int64_t done, std::int64_t every) { return every > 0 && done % every == 0; }

}  // namespace

TrainOutcome train(comm::Communicator& world, const ring::BackendFactory& make_backend, const TrainOptions& o,
                   BatchSource& data, StateStore* store, const std::atomic<bool>& stop_requested,
                   const TrainCallbacks& cb, const DeviceModelFactory& make_device_model) {
  const bool root = world.rank() == 0;
  auto note = [&](const std::string& s) {
    if (root && cb.on_note) cb.on_note(s);
  };
  Trainer trainer(world, make_backend, o, data, make_device_model);
  if (store != nullptr) {
    if (std::optional<TrainState> s = store->load_latest(world)) {
      trainer.restore(*s);
      note("resumed from the checkpoint of step " + std::to_string(s->step));
    }
  }
  TrainOutcome out;
  const std::int64_t first = trainer.step();
  if (first >= o.steps) {
    // A finished run started again (the README's main job twice): say so, and evaluate
    // the trained model so the run still reports where it stands.
    note("the checkpoint is at step " + std::to_string(first) +
         " = train.steps: nothing left to train (raise train.steps to train on, or use another "
         "output_dir or train.checkpoint_dir to train anew)");
    out.last_eval = trainer.evaluate();
    if (root && cb.on_eval) cb.on_eval(*out.last_eval);
  }
  while (trainer.step() < o.steps) {
    const StepReport r = trainer.train_step();
    const std::int64_t done = trainer.step();
    if (root && cb.on_step && (due(done, o.log_every) || done == o.steps)) cb.on_step(r);
    if (due(done, o.eval_every) || done == o.steps) {
      out.last_eval = trainer.evaluate();
      if (root && cb.on_eval) cb.on_eval(*out.last_eval);
    }
    const bool stop = all_reduce_scalar(world, stop_requested.load() ? 1.0 : 0.0, comm::ReduceOp::kMax) > 0;
    if (store != nullptr && (stop || done == o.steps || due(done, o.checkpoint_every))) {
      store->save(world, trainer.snapshot());
      note("checkpoint of step " + std::to_string(done) + " saved");
    }
    if (stop) {
      note("stop requested (SIGUSR1/SIGTERM): checkpointed after step " + std::to_string(done));
      out.stopped_early = done < o.steps;
      break;
    }
  }
  out.steps_done = trainer.step() - first;
  return out;
}

}  // namespace ra::train

// TrainState in checkpoints (runtime/checkpoint): every parameter tensor, the AdamW
// moments of each, and the step (the data position: batches are a function of it; no
// other random state is consumed). Rank 0 reads and writes; loads are broadcast, so
// the checkpoint directory need only be visible to rank 0's node. Failures reach every
// rank as one CheckpointError (exit code 5).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/config/ringattn_config.pb.h"
#include "runtime/model/params.h"
#include "runtime/train/trainer.h"

namespace ra::train {

struct WorldShape {
  int world_size = 1;
  int dp = 1;
};

enum class ResumePolicy : std::uint8_t {
  kFromLatest,  // train.resume=true: the latest complete checkpoint, if any
  kFresh,       // train.resume=false: step 0, refused when the directory holds checkpoints
};

struct ResumeOptions {
  ResumePolicy resume = ResumePolicy::kFromLatest;
  // train.on_damaged_checkpoint: a damaged entry newer than the latest complete checkpoint.
  checkpoint::DamagedPolicy on_damaged = checkpoint::DamagedPolicy::kRefuse;
  // Where the warnings go (damaged entries older than the one resumed, entries set aside):
  // one line each, never dropped silently.
  std::function<void(const std::string&)> warn;
};

// Rank 0, before anything of the run is written (and before training): which checkpoint
// under `dir` a resume loads, or none. kFresh refuses a directory that holds any `step-*`
// entry (CheckpointError naming it, what it holds and the option to use): training from
// step 0 would reach the first checkpoint and collide. kFromLatest applies
// checkpoint::choose_resume_point. Throws CheckpointError (exit 5).
std::optional<std::string> plan_resume(const std::string& dir, const ResumeOptions& options);

// The config's fingerprint: every key that changes the trajectory (model, parallel,
// attention, train except logging/eval/checkpoint cadence and paths); 16 hex digits.
std::string config_hash(const config::RunConfig& c);

class CheckpointStore final : public StateStore {
 public:
  CheckpointStore(std::string dir, std::string config_hash, std::uint32_t keep_latest_k, ResumeOptions resume,
                  WorldShape world, const model::ParamLayout& layout);

  // Rank 0: what plan_resume returned earlier (so load_latest does not scan again, and
  // entries set aside are not reported twice). Without it, load_latest plans itself.
  void set_planned(std::optional<std::string> checkpoint) { planned_ = std::move(checkpoint), has_plan_ = true; }

  std::optional<TrainState> load_latest(comm::Communicator& world) override;
  void save(comm::Communicator& world, const TrainState& state) override;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, config_hash_;
  std::uint32_t keep_;
  ResumeOptions resume_;
  std::optional<std::string> planned_;
  bool has_plan_ = false;
  WorldShape world_;
  const model::ParamLayout& layout_;
};

}  // namespace ra::train

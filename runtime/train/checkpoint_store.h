// TrainState in checkpoints (runtime/checkpoint): every parameter tensor, the AdamW
// moments of each, and the step (the data position: batches are a function of it; no
// other random state is consumed). Rank 0 reads and writes; loads are broadcast, so
// the checkpoint directory need only be visible to rank 0's node. Failures reach every
// rank as one CheckpointError (exit code 5).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/config/ringattn_config.pb.h"
#include "runtime/model/params.h"
#include "runtime/train/trainer.h"

namespace ra::train {

struct WorldShape {
  int world_size = 1;
  int dp = 1;
};

enum class ResumePolicy : std::uint8_t { kFromLatest, kFresh };

// The config's fingerprint: every key that changes the trajectory (model, parallel,
// attention, train except logging/eval/checkpoint cadence and paths); 16 hex digits.
std::string config_hash(const config::RunConfig& c);

class CheckpointStore final : public StateStore {
 public:
  CheckpointStore(std::string dir, std::string config_hash, std::uint32_t keep_latest_k, ResumePolicy resume,
                  WorldShape world, const model::ParamLayout& layout);

  std::optional<TrainState> load_latest(comm::Communicator& world) override;
  void save(comm::Communicator& world, const TrainState& state) override;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, config_hash_;
  std::uint32_t keep_;
  ResumePolicy resume_;
  WorldShape world_;
  const model::ParamLayout& layout_;
};

}  // namespace ra::train

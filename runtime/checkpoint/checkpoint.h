// Checkpoints (docs/checkpoints.md): a directory `<root>/step-<12 digits>/` holding raw
// tensor shards (`tensors-000.bin`, ...) and a protobuf manifest (`manifest.pb`: step,
// config hash, world layout, data position, the caller's RNG state and extra bytes, and
// per tensor its name, dtype, shape, shard, offset, size and crc32), written so that a
// kill at any moment leaves the previous checkpoint loadable:
//   1. everything goes into a fresh `<root>/.tmp-step-…-<pid>-<random>` directory; each
//      file is created exclusively (never through a symlink), written, fsynced; the
//      manifest last;
//   2. the temporary directory is fsynced, renamed to `step-…` (atomic, never replacing
//      an existing checkpoint), and the root is fsynced so the rename survives a power
//      loss;
//   3. complete checkpoints beyond the newest keep_latest_k (never the one just written)
//      and temporary directories left by killed writers are removed.
// Loading verifies everything and refuses (ra::CheckpointError, exit code 5) with one
// line naming the checkpoint path and what differs: world layout, config hash, a tensor
// missing, unexpected, of another dtype or shape, truncated or failing its crc32.
// A resume never silently goes back past a damaged checkpoint (choose_resume_point).
// Host memory only. One writer per root (Slurm's requeue runs one job at a time;
// `ringattn train` holds a run lock, runtime/records/run_lock.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/tensor_view.h"

namespace ra::checkpoint {

struct WorldLayout {
  std::uint32_t world_size = 1, dp = 1, sp = 1;
  bool operator==(const WorldLayout&) const = default;
};

struct CheckpointMeta {
  std::uint64_t step = 0;
  std::string config_hash;  // the caller's fingerprint of everything that changes the trajectory
  WorldLayout world;
  std::uint64_t data_position = 0;  // caller-defined (the trainer's batches are a function of the step)
  std::string rng_state;            // opaque bytes, returned as written
  std::string extra;                // opaque bytes, returned as written
};

struct NamedTensor {
  std::string name;
  ConstTensorView data;  // host memory; the bytes are written as they are
};

// Moments of a write a test can stop at (the kill-during-write tests).
enum class WriteStage : std::uint8_t {
  kFileWritten,  // a file in the temporary directory is written and fsynced (path: the file)
  kRenamed,      // the checkpoint is in place and the root fsynced, retention not yet run (path: the checkpoint)
};

struct WriteOptions {
  std::uint32_t keep_latest_k = 2;  // >= 1
  // Tests only: called at each stage with the path it concerns.
  std::function<void(WriteStage, const std::string& path)> stage_hook;
  // A shard file is closed and the next one started before it would grow past this (a
  // larger tensor gets a shard to itself): 4 GiB files suit every file system we meet.
  std::uint64_t shard_max_bytes = std::uint64_t{1} << 32;
};

// Writes `<root>/step-<meta.step>` and returns its path. Creates root (and missing
// parents) if needed; refuses a root that is world-writable without the sticky bit and a
// step that already has a checkpoint (CheckpointError); a bad argument (keep_latest_k 0,
// duplicate or empty tensor names, device memory) is a UsageError.
std::string write_checkpoint(const std::string& root, const CheckpointMeta& meta,
                             const std::vector<NamedTensor>& tensors, const WriteOptions& options);

// A `step-*` entry of a root that is not a complete checkpoint: a directory without a
// readable manifest (missing, garbage, truncated, empty, of another step), a file or a
// symlink. A write never produces one (the manifest is renamed in with its directory),
// so it was damaged or edited afterwards.
struct DamagedEntry {
  std::uint64_t step = 0;  // from the entry's name
  std::string path;
  std::string why;  // one line naming the path and the rule it breaks
};

// What a root holds. `complete`: checkpoints whose manifest reads and names the step of
// their directory, oldest first. `damaged`: every other `step-*` entry, oldest first,
// for the caller to report and decide about (choose_resume_point below).
struct CheckpointScan {
  std::vector<std::string> complete;
  std::vector<DamagedEntry> damaged;
  std::optional<std::uint64_t> latest_step;  // the step of complete.back()
  std::optional<std::string> latest() const {
    return complete.empty() ? std::nullopt : std::optional<std::string>(complete.back());
  }
  // Damaged entries newer than the latest complete checkpoint (all of them when there is
  // none): resuming past them would redo their steps and then collide with them.
  std::vector<DamagedEntry> damaged_after_latest() const;
  bool empty() const { return complete.empty() && damaged.empty(); }
};

// A missing root holds nothing; an unreadable or unsafe one is a CheckpointError (never
// silently "no checkpoint": the run would start over).
CheckpointScan scan_checkpoints(const std::string& root);

// The newest complete checkpoint under root, if any (scan_checkpoints(root).latest()).
std::optional<std::string> latest_checkpoint(const std::string& root);

// What to do when a damaged entry is newer than the latest complete checkpoint.
enum class DamagedPolicy : std::uint8_t {
  kRefuse,    // CheckpointError (exit 5) naming each such entry and why, and the opt-in
  kSetAside,  // rename each damaged entry aside (set_aside_damaged) and resume from the latest complete one
};

struct ResumePoint {
  std::optional<std::string> checkpoint;  // the checkpoint to load; none: start at step 0
  std::vector<std::string> warnings;      // one line each, for the caller to print loudly
};

// The checkpoint a resume should load, after dealing with damaged entries: those newer
// than the latest complete checkpoint are refused or set aside per `policy`; older ones
// do not change what is resumed and are only warned about (kRefuse) or set aside too
// (kSetAside). Nothing is ever deleted.
ResumePoint choose_resume_point(const std::string& root, DamagedPolicy policy);

// Renames a damaged entry (a directory, a file or a symlink: never followed) to
// `<path>.damaged-<UTC time, e.g. 20261201T054012Z>` (a `-2`, `-3`, ... suffix when that
// exists), which no reader or writer takes for a checkpoint, and fsyncs the root. Returns
// the new path.
std::string set_aside_damaged(const DamagedEntry& entry);

struct TensorExpectation {
  DType dtype = DType::kF32;
  Shape shape;
};

struct LoadExpectations {
  std::string config_hash;
  WorldLayout world;
  std::map<std::string, TensorExpectation> tensors;  // exactly these names
};

struct LoadedCheckpoint {
  CheckpointMeta meta;
  std::map<std::string, HostBuffer> tensors;  // by name, each exactly its bytes
};

LoadedCheckpoint load_checkpoint(const std::string& dir, const LoadExpectations& expect);

}  // namespace ra::checkpoint

// Checkpoints (docs/checkpoints.md): a directory `<root>/step-<12 digits>/` with one
// shard file of raw tensor bytes and a protobuf manifest (names, dtypes, shapes,
// offsets, crc32), written so that a kill at any moment leaves the previous checkpoint
// loadable:
//   1. everything goes into a fresh `<root>/.tmp-step-…-<pid>` directory; each file is
//      created exclusively, written, fsynced; the manifest last;
//   2. the temporary directory is fsynced, renamed to `step-…` (atomic), and the root is
//      fsynced so the rename survives a power loss;
//   3. older checkpoints beyond keep_latest_k and temporary directories left by killed
//      writers are removed.
// Loading verifies everything and refuses (ra::CheckpointError, exit code 5) naming the
// path and what differs: config hash, world layout, a tensor's checksum or size.
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
  std::string config_hash;
  WorldLayout world;
  std::uint64_t data_position = 0;
  std::string rng_state;  // opaque to this library
};

struct NamedTensor {
  std::string name;
  ConstTensorView data;  // host memory
};

struct WriteOptions {
  std::uint32_t keep_latest_k = 2;
  // Tests only: called after each file is durable, with its name (a test stops the
  // writer there to prove a kill mid-write leaves the previous checkpoint loadable).
  std::function<void(const std::string&)> after_file;
};

// Returns the checkpoint's final directory. Refuses a root that is world-writable
// without the sticky bit, and a step that already has a checkpoint.
std::string write_checkpoint(const std::string& root, const CheckpointMeta& meta, const std::vector<NamedTensor>& tensors,
                             const WriteOptions& options);

// The newest complete checkpoint under root (one with a readable manifest), if any.
std::optional<std::string> latest_checkpoint(const std::string& root);

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
  std::map<std::string, HostBuffer> tensors;
};

LoadedCheckpoint load_checkpoint(const std::string& dir, const LoadExpectations& expect);

}  // namespace ra::checkpoint

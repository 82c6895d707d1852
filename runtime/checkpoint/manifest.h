// The manifest (checkpoint.proto) to and from the public types, and reading one from a
// checkpoint directory with the checks every reader needs (format version, the step
// against the directory's name).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint.pb.h"

namespace ra::checkpoint {

// Bumped when a reader of the previous version would misread a new checkpoint.
// 2: the manifest ends with manifest_crc32 (a truncated manifest is detected even where
// it still parses). Version 1 manifests (without it) are still read.
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kOldestReadableFormatVersion = 1;

Manifest manifest_of(const CheckpointMeta& meta);  // no tensors yet
CheckpointMeta meta_of(const Manifest& m);
// The manifest's bytes, manifest_crc32 appended last (format 2).
std::string serialize_manifest(const Manifest& m, const std::string& dir);

// CheckpointError "<dir>: ..." when the manifest is missing, unreadable, not a manifest,
// of another format version, truncated or corrupt (format 2: its end checksum is missing
// or differs), or of another step than a `step-N` directory name says.
Manifest read_manifest(const std::string& dir);
// read_manifest's checks on the manifest's bytes (read_manifest reads the file and calls
// this; the manifest fuzz target feeds it bytes). `dir` is the checkpoint directory.
Manifest parse_manifest(const std::string& dir, const std::string& bytes);

// load_checkpoint's checks of a manifest against what the run expects, before any shard
// is read (reader.cc): the world layout, the config hash, then every tensor record
// (duplicates, unexpected or missing names, dtype, shape, size, shard file name).
void check_manifest(const std::string& dir, const Manifest& m, const LoadExpectations& expect);

}  // namespace ra::checkpoint

// load_checkpoint: reading back what writer.cc wrote, refusing anything that differs.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checksum.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/core/error.h"
#include "runtime/core/printable.h"

namespace ra::checkpoint {
namespace {

std::string world_text(const WorldLayout& w) {
  return std::to_string(w.world_size) + (w.world_size == 1 ? " rank" : " ranks") + " (dp=" + std::to_string(w.dp) +
         " sp=" + std::to_string(w.sp) + ")";
}

std::string tensor_text(const std::string& dtype, const std::vector<std::int64_t>& dims) {
  std::ostringstream os;
  os << printable(dtype) << " [";
  for (std::size_t i = 0; i < dims.size(); ++i) os << (i > 0 ? ", " : "") << dims[i];
  os << ']';
  return os.str();
}

std::vector<std::int64_t> dims_of(const Shape& s) {
  return std::vector<std::int64_t>(s.dims.begin(), s.dims.begin() + s.rank);
}

// A shard is a plain name inside the checkpoint directory: a manifest must not make the
// reader open anything else. No control characters either: the writer's names are
// tensors-NNN.bin, and a newline would break the one-line messages that name the path.
bool is_shard_name(const std::string& f) {
  const bool control = std::any_of(f.begin(), f.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  return !f.empty() && f != "." && f != ".." && f.find('/') == std::string::npos && f != kManifestFile && !control;
}

// The world layout before the config hash: the hash covers the parallel section, so a
// resume on another number of ranks differs in both, and the layout is what the user
// has to change (docs/checkpoints.md).
void check_header(const std::string& dir, const Manifest& m, const LoadExpectations& expect) {
  const WorldLayout written{m.world_size(), m.dp(), m.sp()};
  if (!(written == expect.world)) {
    throw CheckpointError(dir + ": world layout " + world_text(written) + " differs from this run's " +
                          world_text(expect.world) +
                          " (resume on the same layout: the data order and the sharding depend on it)");
  }
  if (m.config_hash() != expect.config_hash) {
    throw CheckpointError(dir + ": config hash " + printable(m.config_hash()) + " differs from this run's " +
                          expect.config_hash +
                          " (the config changed: resume with the config the checkpoint was written with, or start "
                          "over in another checkpoint_dir)");
  }
}

// Every record against the expectations before any shard is read: a different model is
// reported at once, not after reading gigabytes.
void check_records(const std::string& dir, const Manifest& m, const LoadExpectations& expect) {
  std::set<std::string> seen;
  for (const TensorRecord& r : m.tensors()) {
    // Manifest text in messages is made printable (one line); `name` is only shown.
    const std::string name = printable(r.name());
    if (!seen.insert(r.name()).second) {
      throw CheckpointError(dir + ": tensor '" + name + "' appears twice in the manifest (the manifest is corrupt)");
    }
    const auto want = expect.tensors.find(r.name());
    if (want == expect.tensors.end()) {
      throw CheckpointError(dir + ": tensor '" + name +
                            "' is in the checkpoint but not expected by this run (another model?)");
    }
    const std::vector<std::int64_t> dims(r.shape().begin(), r.shape().end());
    const std::string want_dtype(dtype_name(want->second.dtype));
    const std::vector<std::int64_t> want_dims = dims_of(want->second.shape);
    if (r.dtype() != want_dtype || dims != want_dims) {
      throw CheckpointError(dir + ": tensor '" + name + "' is " + tensor_text(r.dtype(), dims) +
                            " in the checkpoint, this run expects " + tensor_text(want_dtype, want_dims));
    }
    // The expected shape is a valid Shape, so this product does not overflow.
    const std::uint64_t want_bytes =
        static_cast<std::uint64_t>(want->second.shape.numel_elems()) * dtype_size_bytes(want->second.dtype);
    if (r.size_bytes() != want_bytes) {
      throw CheckpointError(dir + ": tensor '" + name + "' has " + std::to_string(r.size_bytes()) +
                            " bytes in the manifest, its shape needs " + std::to_string(want_bytes) +
                            " (the manifest is corrupt)");
    }
    if (!is_shard_name(r.file())) {
      throw CheckpointError(dir + ": tensor '" + name + "' names the file '" + printable(r.file()) +
                            "', which is not a shard of this checkpoint (the manifest is corrupt)");
    }
  }
  for (const auto& [name, want] : expect.tensors) {
    if (seen.count(name) == 0) {
      throw CheckpointError(dir + ": tensor '" + name +
                            "' expected by this run is missing from the checkpoint (another model?)");
    }
  }
}

}  // namespace

void check_manifest(const std::string& dir, const Manifest& m, const LoadExpectations& expect) {
  check_header(dir, m, expect);
  check_records(dir, m, expect);
}

LoadedCheckpoint load_checkpoint(const std::string& dir_in, const LoadExpectations& expect) {
  std::string dir = dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const Manifest m = read_manifest(dir);
  check_manifest(dir, m, expect);

  LoadedCheckpoint out;
  out.meta = meta_of(m);
  std::map<std::string, ReadOnlyFile> shards;  // each opened once
  for (const TensorRecord& r : m.tensors()) {
    const std::string path = dir + "/" + r.file();
    auto shard = shards.find(r.file());
    if (shard == shards.end()) shard = shards.emplace(r.file(), ReadOnlyFile::open(path)).first;
    const std::uint64_t file_bytes = shard->second.size_bytes();
    if (r.offset_bytes() > file_bytes || r.size_bytes() > file_bytes - r.offset_bytes()) {
      throw CheckpointError(path + ": tensor '" + printable(r.name()) + "' needs bytes [" +
                            std::to_string(r.offset_bytes()) + ", " +
                            std::to_string(r.offset_bytes() + r.size_bytes()) + "), the file has " +
                            std::to_string(file_bytes) + " (truncated)");
    }
    HostBuffer buf(static_cast<std::size_t>(r.size_bytes()));
    shard->second.read_at(r.offset_bytes(), buf.raw(), buf.size_bytes());
    const std::uint32_t crc = crc32_of(buf.raw(), buf.size_bytes());
    if (crc != r.crc32()) {
      throw CheckpointError(path + ": tensor '" + printable(r.name()) + "' crc32 " + crc32_text(crc) +
                            " differs from the manifest's " + crc32_text(r.crc32()) + " (the file is corrupt)");
    }
    out.tensors.emplace(r.name(), std::move(buf));
  }
  return out;
}

}  // namespace ra::checkpoint

// latest_checkpoint and load_checkpoint: finding and verifying what writer.cc wrote.
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <sstream>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint.pb.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/core/error.h"
#include "runtime/data/file_bytes.h"

namespace ra::checkpoint {
namespace {

std::string world_text(const WorldLayout& w) {
  return "world " + std::to_string(w.world_size) + " ranks (dp=" + std::to_string(w.dp) + " sp=" + std::to_string(w.sp) + ")";
}

std::string shape_text(const Shape& s) { return s.str(); }

bool read_manifest(const std::string& dir, Manifest& m) {
  std::string bytes;
  try {
    bytes = data::read_file_bytes(dir + "/" + kManifestFile, "checkpoint manifest");
  } catch (const InputDataError&) {
    return false;
  }
  return m.ParseFromString(bytes);
}

}  // namespace

std::optional<std::string> latest_checkpoint(const std::string& root) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return std::nullopt;
  std::optional<std::pair<std::uint64_t, std::string>> best;
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    const std::optional<std::uint64_t> step = parse_step_dir(e.path().filename().string());
    Manifest m;
    if (!step || !read_manifest(e.path().string(), m)) continue;  // not complete: a writer died before the rename
    if (!best || *step > best->first) best = std::make_pair(*step, e.path().string());
  }
  if (!best) return std::nullopt;
  return best->second;
}

LoadedCheckpoint load_checkpoint(const std::string& dir, const LoadExpectations& expect) {
  Manifest m;
  if (!read_manifest(dir, m)) throw CheckpointError(dir + ": no readable manifest (" + kManifestFile + ")");
  LoadedCheckpoint out;
  out.meta.step = m.step();
  out.meta.config_hash = m.config_hash();
  out.meta.world = {m.world_size(), m.dp(), m.sp()};
  out.meta.data_position = m.data_position();
  out.meta.rng_state = m.rng_state();
  if (m.config_hash() != expect.config_hash) {
    throw CheckpointError(dir + ": config hash " + m.config_hash() + " differs from this run's " + expect.config_hash +
                          " (the config changed: resume with the config the checkpoint was written with)");
  }
  if (!(out.meta.world == expect.world)) {
    throw CheckpointError(dir + ": written by a " + world_text(out.meta.world) + ", this run is a " +
                          world_text(expect.world) + " (resume on the same layout for a bitwise-identical run)");
  }
  std::map<std::string, std::string> shards;  // file → bytes, read once
  for (const TensorRecord& r : m.tensors()) {
    const auto want = expect.tensors.find(r.name());
    if (want == expect.tensors.end()) throw CheckpointError(dir + ": tensor '" + r.name() + "' is not part of this model");
    if (r.shape_size() > Shape::kMaxRank) throw CheckpointError(dir + ": tensor '" + r.name() + "' has rank " + std::to_string(r.shape_size()));
    Shape shape;
    shape.rank = r.shape_size();
    for (int d = 0; d < r.shape_size(); ++d) shape.dims[static_cast<std::size_t>(d)] = r.shape(d);
    if (r.dtype() != dtype_name(want->second.dtype) || !(shape == want->second.shape)) {
      throw CheckpointError(dir + ": tensor '" + r.name() + "' is " + r.dtype() + " " + shape_text(shape) +
                            ", this model expects " + std::string(dtype_name(want->second.dtype)) + " " +
                            shape_text(want->second.shape));
    }
    if (r.file().find('/') != std::string::npos) throw CheckpointError(dir + ": tensor '" + r.name() + "' names a file outside the checkpoint");
    auto it = shards.find(r.file());
    if (it == shards.end()) it = shards.emplace(r.file(), data::read_file_bytes(dir + "/" + r.file(), "checkpoint shard")).first;
    const std::string& bytes = it->second;
    if (r.offset_bytes() > bytes.size() || r.size_bytes() > bytes.size() - r.offset_bytes()) {
      throw CheckpointError(dir + "/" + r.file() + ": tensor '" + r.name() + "' needs bytes [" +
                            std::to_string(r.offset_bytes()) + ", " + std::to_string(r.offset_bytes() + r.size_bytes()) +
                            "), the file has " + std::to_string(bytes.size()) + " (truncated)");
    }
    const std::uint64_t want_bytes = static_cast<std::uint64_t>(shape.numel_elems()) * dtype_size_bytes(want->second.dtype);
    if (r.size_bytes() != want_bytes) {
      throw CheckpointError(dir + ": tensor '" + r.name() + "' holds " + std::to_string(r.size_bytes()) + " bytes, its shape needs " +
                            std::to_string(want_bytes));
    }
    const auto* p = reinterpret_cast<const Bytef*>(bytes.data() + r.offset_bytes());
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::uint64_t done = 0; done < r.size_bytes();) {
      const auto n = static_cast<uInt>(std::min<std::uint64_t>(r.size_bytes() - done, 1u << 30));
      crc = crc32(crc, p + done, n);
      done += n;
    }
    if (static_cast<std::uint32_t>(crc) != r.crc32()) {
      std::ostringstream msg;
      msg << dir << "/" << r.file() << ": tensor '" << r.name() << "' crc32 0x" << std::hex << crc << " differs from the manifest's 0x"
          << r.crc32() << " (the file is corrupt)";
      throw CheckpointError(msg.str());
    }
    HostBuffer buf(r.size_bytes());
    std::memcpy(buf.raw(), bytes.data() + r.offset_bytes(), r.size_bytes());
    out.tensors.emplace(r.name(), std::move(buf));
  }
  for (const auto& [name, _] : expect.tensors)
    if (out.tensors.count(name) == 0) throw CheckpointError(dir + ": tensor '" + name + "' is missing");
  return out;
}

}  // namespace ra::checkpoint

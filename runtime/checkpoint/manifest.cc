#include "runtime/checkpoint/manifest.h"

#include <google/protobuf/stubs/logging.h>

#include <optional>

#include "runtime/checkpoint/checksum.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {

Manifest manifest_of(const CheckpointMeta& meta) {
  Manifest m;
  m.set_format_version(kFormatVersion);
  m.set_step(meta.step);
  m.set_config_hash(meta.config_hash);
  m.set_world_size(meta.world.world_size);
  m.set_dp(meta.world.dp);
  m.set_sp(meta.world.sp);
  m.set_data_position(meta.data_position);
  m.set_rng_state(meta.rng_state);
  m.set_extra(meta.extra);
  return m;
}

CheckpointMeta meta_of(const Manifest& m) {
  CheckpointMeta meta;
  meta.step = m.step();
  meta.config_hash = m.config_hash();
  meta.world = {m.world_size(), m.dp(), m.sp()};
  meta.data_position = m.data_position();
  meta.rng_state = m.rng_state();
  meta.extra = m.extra();
  return meta;
}

namespace {

// manifest_crc32 on the wire: its tag (field 11, wire type 5 = fixed32) and 4 bytes,
// little-endian. Appended by hand so that it is the last 5 bytes whatever the protobuf
// library's field order.
constexpr unsigned char kCrcTag = (11u << 3) | 5u;
constexpr std::size_t kCrcTrailerBytes = 5;

bool has_valid_trailer(const std::string& bytes, const Manifest& m) {
  if (bytes.size() < kCrcTrailerBytes) return false;
  const std::size_t body = bytes.size() - kCrcTrailerBytes;
  if (static_cast<unsigned char>(bytes[body]) != kCrcTag) return false;
  // The parsed field is the one in the trailer (not an earlier copy of field 11).
  std::uint32_t trailer = 0;
  for (std::size_t i = 0; i < 4; ++i)
    trailer |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[body + 1 + i])) << (8 * i);
  return trailer == m.manifest_crc32() && crc32_of(bytes.data(), body) == trailer;
}

}  // namespace

std::string serialize_manifest(const Manifest& m_in, const std::string& dir) {
  Manifest m = m_in;
  m.clear_manifest_crc32();
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw CheckpointError(dir + ": serializing the manifest failed");
  const std::uint32_t crc = crc32_of(bytes.data(), bytes.size());
  bytes.push_back(static_cast<char>(kCrcTag));
  for (std::size_t i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xffu));
  return bytes;
}

Manifest read_manifest(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kManifestFile);
  std::string bytes;
  try {
    bytes = read_whole_file(path);
  } catch (const CheckpointError& e) {
    throw CheckpointError(dir + ": no readable manifest (" + e.what() + ")");
  }
  return parse_manifest(dir, bytes);
}

Manifest parse_manifest(const std::string& dir, const std::string& bytes) {
  const std::string path = dir + "/" + std::string(kManifestFile);
  Manifest m;
  bool parsed = false;
  {
    // A corrupt manifest is reported by the one line below; protobuf's own log line
    // about it ("String field ... contains invalid UTF-8 data") would be a second,
    // unprefixed line on stderr (found by fuzz/manifest_fuzz).
    const google::protobuf::LogSilencer quiet;
    parsed = m.ParseFromString(bytes);
  }
  // format_version 0 is what an empty or foreign protobuf parses to.
  if (!parsed || m.format_version() == 0) {
    throw CheckpointError(path + ": not a checkpoint manifest (" + std::to_string(bytes.size()) +
                          " bytes that do not parse)");
  }
  if (m.format_version() < kOldestReadableFormatVersion || m.format_version() > kFormatVersion) {
    throw CheckpointError(path + ": manifest format version " + std::to_string(m.format_version()) +
                          ", this ringattn reads versions " + std::to_string(kOldestReadableFormatVersion) + " to " +
                          std::to_string(kFormatVersion) + " (written by another ringattn version)");
  }
  if (m.format_version() >= 2 && !has_valid_trailer(bytes, m)) {
    throw CheckpointError(path + ": the manifest is truncated or corrupt (" + std::to_string(bytes.size()) +
                          " bytes; its closing crc32 is missing or differs)");
  }
  // latest_checkpoint orders by directory name: a renamed or copied directory whose
  // name disagrees with its content would be resumed at the wrong step.
  if (const std::optional<std::uint64_t> named = parse_step_dir(base_name(dir)); named && *named != m.step()) {
    throw CheckpointError(path + ": the manifest is of step " + std::to_string(m.step()) +
                          ", the directory's name says " + std::to_string(*named) +
                          " (a renamed or copied checkpoint)");
  }
  return m;
}

}  // namespace ra::checkpoint

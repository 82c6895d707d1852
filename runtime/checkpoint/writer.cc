// write_checkpoint: the write protocol of checkpoint.h.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint.pb.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

constexpr std::uint32_t kFormatVersion = 1;
constexpr const char* kShardFile = "tensors-000.bin";

std::uint32_t crc_of(const void* data, std::size_t bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  // zlib takes uInt lengths: feed large tensors in pieces.
  while (bytes > 0) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    bytes -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

// Anyone who can write to a world-writable root without the sticky bit could replace
// checkpoints under us.
void check_root(const std::string& root) {
  make_directory(root, IfExists::kOk);
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) throw CheckpointError(root + ": cannot stat the checkpoint directory");
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    throw CheckpointError(root + ": the checkpoint directory is world-writable without the sticky bit; refusing to "
                                 "write checkpoints others could replace (chmod o-w or +t)");
  }
}

// Older complete checkpoints beyond the newest `keep`, and temporary directories of
// writers that are gone (their pid is not alive).
void apply_retention(const std::string& root, std::uint32_t keep) {
  std::vector<std::pair<std::uint64_t, std::string>> complete;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (const std::optional<std::uint64_t> step = parse_step_dir(name)) {
      complete.emplace_back(*step, e.path().string());
    } else if (const std::optional<long> pid = parse_tmp_dir_pid(name)) {
      if (*pid != ::getpid() && ::kill(static_cast<pid_t>(*pid), 0) != 0) remove_tree(e.path().string());
    }
  }
  std::sort(complete.begin(), complete.end());
  for (std::size_t i = 0; i + keep < complete.size(); ++i) remove_tree(complete[i].second);
}

}  // namespace

std::string write_checkpoint(const std::string& root, const CheckpointMeta& meta, const std::vector<NamedTensor>& tensors,
                             const WriteOptions& options) {
  check_root(root);
  const std::string final_dir = root + "/" + step_dir_name(meta.step);
  if (std::filesystem::exists(final_dir)) throw CheckpointError(final_dir + ": a checkpoint of this step exists already");
  std::random_device rd;
  const std::string tmp = root + "/" + tmp_dir_name(meta.step, ::getpid(), rd());
  make_directory(tmp, IfExists::kFail);

  Manifest m;
  m.set_format_version(kFormatVersion);
  m.set_step(meta.step);
  m.set_config_hash(meta.config_hash);
  m.set_world_size(meta.world.world_size);
  m.set_dp(meta.world.dp);
  m.set_sp(meta.world.sp);
  m.set_data_position(meta.data_position);
  m.set_rng_state(meta.rng_state);
  std::string shard;
  for (const NamedTensor& t : tensors) {
    TensorRecord* r = m.add_tensors();
    r->set_name(t.name);
    r->set_dtype(std::string(dtype_name(t.data.dtype())));
    for (int d = 0; d < t.data.rank(); ++d) r->add_shape(t.data.dim(d));
    r->set_file(kShardFile);
    r->set_offset_bytes(shard.size());
    r->set_size_bytes(t.data.size_bytes());
    r->set_crc32(crc_of(t.data.raw(), t.data.size_bytes()));
    shard.append(static_cast<const char*>(t.data.raw()), t.data.size_bytes());
  }
  write_new_file_durably(tmp + "/" + kShardFile, shard);
  if (options.after_file) options.after_file(kShardFile);
  std::string manifest;
  if (!m.SerializeToString(&manifest)) throw CheckpointError(tmp + ": serializing the manifest failed");
  write_new_file_durably(tmp + "/" + kManifestFile, manifest);
  if (options.after_file) options.after_file(kManifestFile);
  fsync_directory(tmp);
  if (std::rename(tmp.c_str(), final_dir.c_str()) != 0)
    throw CheckpointError(final_dir + ": renaming the finished checkpoint into place failed");
  fsync_directory(root);
  apply_retention(root, std::max<std::uint32_t>(1, options.keep_latest_k));
  return final_dir;
}

}  // namespace ra::checkpoint

// write_checkpoint: the write protocol of docs/checkpoints.md, step by step.
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checksum.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/naming.h"
#include "runtime/checkpoint/retention.h"
#include "runtime/checkpoint/root.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

void check_arguments(const std::vector<NamedTensor>& tensors, const WriteOptions& options) {
  if (options.keep_latest_k < 1) {
    throw UsageError(
        "write_checkpoint: keep_latest_k is 0; it must be at least 1 (the checkpoint just written is kept)");
  }
  if (options.shard_max_bytes < 1) throw UsageError("write_checkpoint: shard_max_bytes is 0; it must be at least 1");
  std::set<std::string> names;
  for (const NamedTensor& t : tensors) {
    if (t.name.empty()) throw UsageError("write_checkpoint: a tensor without a name");
    if (!names.insert(t.name).second) throw UsageError("write_checkpoint: tensor '" + t.name + "' is given twice");
    if (t.data.device() != DeviceKind::kCpu) {
      throw UsageError("write_checkpoint: tensor '" + t.name +
                       "' is in device memory; checkpoints are written from host memory");
    }
    if (t.data.size_bytes() > 0 && t.data.raw() == nullptr) {
      throw UsageError("write_checkpoint: tensor '" + t.name + "' of shape " + t.data.shape().str() + " has no data");
    }
  }
}

void notify(const WriteOptions& options, WriteStage stage, const std::string& path) {
  if (options.stage_hook) options.stage_hook(stage, path);
}

// Tensors go into shard files in the order given, straight from the caller's memory (no
// second copy of the model); a shard is fsynced and closed before the next is created.
void write_shards(const std::string& tmp, const std::vector<NamedTensor>& tensors, const WriteOptions& options,
                  Manifest& m) {
  std::uint32_t index = 0;
  std::optional<NewFile> shard(create_new_file(tmp + "/" + shard_file_name(index)));
  const auto finish_shard = [&] {
    shard->sync_and_close();
    notify(options, WriteStage::kFileWritten, shard->path());
  };
  for (const NamedTensor& t : tensors) {
    const std::size_t size_bytes = t.data.size_bytes();
    if (shard->written_bytes() > 0 && shard->written_bytes() + size_bytes > options.shard_max_bytes) {
      finish_shard();
      shard.emplace(create_new_file(tmp + "/" + shard_file_name(++index)));
    }
    TensorRecord* r = m.add_tensors();
    r->set_name(t.name);
    r->set_dtype(std::string(dtype_name(t.data.dtype())));
    for (int d = 0; d < t.data.rank(); ++d) r->add_shape(t.data.dim(d));
    r->set_file(shard_file_name(index));
    r->set_offset_bytes(shard->written_bytes());
    r->set_size_bytes(size_bytes);
    r->set_crc32(crc32_of(t.data.raw(), size_bytes));
    shard->append(t.data.raw(), size_bytes);
  }
  finish_shard();
}

// A failed write takes its temporary directory with it; a killed one leaves it for the
// next write's retention.
void remove_quietly(const std::string& path) noexcept {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

}  // namespace

std::string write_checkpoint(const std::string& root_in, const CheckpointMeta& meta,
                             const std::vector<NamedTensor>& tensors, const WriteOptions& options) {
  check_arguments(tensors, options);
  const std::string root = normalized_root(root_in);
  prepare_root_for_writing(root);
  const std::string final_dir = root + "/" + step_dir_name(meta.step);
  // Refused before writing anything (rename_without_replacing checks again at the end):
  // a checkpoint, once in place, is never replaced, so a reader never sees it change.
  if (entry_kind(final_dir) != EntryKind::kMissing) {
    throw CheckpointError(final_dir + ": a checkpoint of step " + std::to_string(meta.step) +
                          " exists already; refusing to replace it (is another run writing to this checkpoint "
                          "directory? resume from it, or use another checkpoint_dir)");
  }
  std::random_device rd;
  const std::string tmp = root + "/" + tmp_dir_name(meta.step, static_cast<long>(::getpid()), rd());
  // kFail: a name someone planted (directory or symlink) is never written into.
  make_directory(tmp, IfExists::kFail);
  try {
    Manifest m = manifest_of(meta);
    write_shards(tmp, tensors, options, m);
    // Last: a manifest exists only once every byte it describes is durable.
    const std::string manifest_path = tmp + "/" + std::string(kManifestFile);
    write_new_file_durably(manifest_path, serialize_manifest(m, tmp));
    notify(options, WriteStage::kFileWritten, manifest_path);
    // The new entries of the temporary directory are durable before it gets its name.
    fsync_directory(tmp);
    rename_without_replacing(tmp, final_dir);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  // The rename is an entry of the root: without this fsync a power loss could undo it
  // after the trainer went on believing the checkpoint exists.
  fsync_directory(root);
  notify(options, WriteStage::kRenamed, final_dir);
  try {
    apply_retention(root, meta.step, options.keep_latest_k);
  } catch (const CheckpointError& e) {
    throw CheckpointError(std::string(e.what()) + " (while removing old checkpoints; " + final_dir + " is complete)");
  }
  return final_dir;
}

}  // namespace ra::checkpoint

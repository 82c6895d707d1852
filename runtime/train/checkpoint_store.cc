#include "runtime/train/checkpoint_store.h"

#include <cstdio>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "comm/shared_verdict.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/core/check.h"

namespace ra::train {
namespace {

constexpr const char* kGroups[] = {"params", "adam_m", "adam_v"};

std::vector<float>& group(TrainState& s, int g) { return g == 0 ? s.params : g == 1 ? s.adam_m : s.adam_v; }
const std::vector<float>& group(const TrainState& s, int g) { return g == 0 ? s.params : g == 1 ? s.adam_m : s.adam_v; }

Shape shape_of(const model::ParamSlice& s) { return s.cols > 1 ? Shape{s.rows, s.cols} : Shape{s.rows}; }

checkpoint::WorldLayout layout_of(const WorldShape& w) {
  return {static_cast<std::uint32_t>(w.world_size), static_cast<std::uint32_t>(w.dp),
          static_cast<std::uint32_t>(w.world_size / w.dp)};
}

void broadcast_floats(comm::Communicator& c, std::vector<float>& v) {
  c.broadcast(TensorView(v.data(), DType::kF32, Shape{static_cast<std::int64_t>(v.size())}), 0);
}

}  // namespace

std::string config_hash(const config::RunConfig& c) {
  config::RunConfig k = c;
  k.clear_output_dir();
  k.clear_bench();
  k.clear_sweep();
  k.clear_comm();
  config::Train& t = *k.mutable_train();
  t.clear_log_every();
  t.clear_eval_every();
  t.clear_eval_batches();
  t.clear_checkpoint_every();
  t.clear_checkpoint_dir();
  t.clear_keep_latest_k();
  t.clear_resume();
  t.clear_on_damaged_checkpoint();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    k.SerializeToCodedStream(&coded);
  }
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char b : bytes) h = (h ^ b) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::optional<std::string> plan_resume(const std::string& dir, const ResumeOptions& options) {
  if (options.resume == ResumePolicy::kFresh) {
    const checkpoint::CheckpointScan scan = checkpoint::scan_checkpoints(dir);
    if (scan.empty()) return std::nullopt;
    // The newest entry, complete or damaged: what the user most likely meant to keep.
    const bool damaged_is_newest =
        !scan.damaged.empty() && (!scan.latest_step || scan.damaged.back().step > *scan.latest_step);
    const std::string newest = damaged_is_newest ? scan.damaged.back().path + " (damaged)" : *scan.latest();
    std::string root = dir;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    throw CheckpointError(root + ": train.resume=false, but the checkpoint directory already holds " +
                          std::to_string(scan.complete.size() + scan.damaged.size()) + " checkpoint(s) (newest " +
                          newest +
                          "): training from step 0 would collide with them at the first checkpoint. Set "
                          "train.resume=true to continue from the latest, or use another output_dir or "
                          "train.checkpoint_dir (or move the checkpoints away)");
  }
  checkpoint::ResumePoint p = checkpoint::choose_resume_point(dir, options.on_damaged);
  if (options.warn)
    for (const std::string& w : p.warnings) options.warn(w);
  return p.checkpoint;
}

CheckpointStore::CheckpointStore(std::string dir, std::string hash, std::uint32_t keep_latest_k, ResumeOptions resume,
                                 WorldShape world, const model::ParamLayout& layout)
    : dir_(std::move(dir)),
      config_hash_(std::move(hash)),
      keep_(keep_latest_k),
      resume_(std::move(resume)),
      world_(world),
      layout_(layout) {}

std::optional<TrainState> CheckpointStore::load_latest(comm::Communicator& world) {
  TrainState s;
  double found = 0;
  comm::run_on_root_and_share_verdict(world, [&] {
    const std::optional<std::string> latest = has_plan_ ? planned_ : plan_resume(dir_, resume_);
    if (!latest) return;
    checkpoint::LoadExpectations expect{config_hash_, layout_of(world_), {}};
    for (const char* g : kGroups)
      for (const model::ParamSlice& p : layout_.slices())
        expect.tensors[std::string(g) + "." + p.name] = {DType::kF32, shape_of(p)};
    checkpoint::LoadedCheckpoint loaded = checkpoint::load_checkpoint(*latest, expect);
    s.step = static_cast<std::int64_t>(loaded.meta.step);
    for (int g = 0; g < 3; ++g) {
      std::vector<float>& v = group(s, g);
      v.resize(static_cast<std::size_t>(layout_.total_elems()));
      for (const model::ParamSlice& p : layout_.slices()) {
        const HostBuffer& b = loaded.tensors.at(std::string(kGroups[g]) + "." + p.name);
        std::memcpy(v.data() + p.offset_elems, b.raw(), b.size_bytes());
      }
    }
    found = 1;
  });
  std::vector<double> header{found, static_cast<double>(s.step)};
  world.broadcast(TensorView(header.data(), DType::kF64, Shape{2}), 0);
  if (header[0] == 0) return std::nullopt;
  s.step = static_cast<std::int64_t>(header[1]);
  for (int g = 0; g < 3; ++g) {
    group(s, g).resize(static_cast<std::size_t>(layout_.total_elems()));
    broadcast_floats(world, group(s, g));
  }
  return s;
}

void CheckpointStore::save(comm::Communicator& world, const TrainState& state) {
  comm::run_on_root_and_share_verdict(world, [&] {
    std::vector<checkpoint::NamedTensor> tensors;
    for (int g = 0; g < 3; ++g) {
      const std::vector<float>& v = group(state, g);
      RA_CHECK_EQ(InternalError, static_cast<std::int64_t>(v.size()), layout_.total_elems(), kGroups[g]);
      for (const model::ParamSlice& p : layout_.slices())
        tensors.push_back({std::string(kGroups[g]) + "." + p.name,
                           ConstTensorView(v.data() + p.offset_elems, DType::kF32, shape_of(p))});
    }
    checkpoint::CheckpointMeta meta;
    meta.step = static_cast<std::uint64_t>(state.step);
    meta.config_hash = config_hash_;
    meta.world = layout_of(world_);
    meta.data_position = static_cast<std::uint64_t>(state.step);
    checkpoint::write_checkpoint(dir_, meta, tensors, {keep_, {}});
  });
}

}  // namespace ra::train

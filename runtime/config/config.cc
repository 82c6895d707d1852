#include "runtime/config/config.h"

#include <cmath>
#include <cstdint>

#include "runtime/config/yaml_loader.h"
#include "runtime/core/error.h"
#include "runtime/core/input_file.h"

namespace ra::config {
namespace {

// A config is a usage problem (exit 2) like its keys; 16 MiB is far beyond any config and
// keeps a mistaken --config (a data file, a disk image) from being read into memory.
constexpr std::uint64_t kMaxConfigBytes = std::uint64_t{16} << 20;

std::string read_file(const std::string& path) {
  return read_input_file(path, {.role = "config file", .error_code = ExitCode::kUsage, .max_bytes = kMaxConfigBytes});
}

// "parallel.sp = 3 (configs/a.yaml:2:7)"
std::string show(const LoadedConfig& l, const std::string& path, const std::string& value) {
  return path + " = " + value + " (" + l.origins.of(path) + ")";
}

}  // namespace

namespace {

// Schema defaults < the YAML (when given) < the overrides, then the ranges.
LoadedConfig load(const std::string* file, const std::string* text, const std::vector<std::string>& sets) {
  LoadedConfig l;
  apply_defaults(l.config);
  if (file != nullptr) load_yaml(*file, *text, l.config, l.origins);
  for (const std::string& s : sets) apply_override(s, l.config, l.origins);
  check_ranges(l.config, l.origins);
  return l;
}

}  // namespace

LoadedConfig load_config(const ConfigRequest& request) {
  if (request.yaml_path.empty()) return load(nullptr, nullptr, request.sets);
  const std::string text = read_file(request.yaml_path);
  return load(&request.yaml_path, &text, request.sets);
}

LoadedConfig load_config_text(const std::string& file, const std::string& text, const std::vector<std::string>& sets) {
  return load(&file, &text, sets);
}

int default_world_size(const LoadedConfig& l) {
  const Parallel& p = l.config.parallel();
  // 64-bit: sp and dp are each up to 65536, and a 32-bit product wraps to 0 ranks.
  const std::uint64_t world = p.sp() > 0 ? std::uint64_t{p.sp()} * p.dp() : p.dp();
  if (world > static_cast<std::uint64_t>(kMaxRanks)) {
    throw UsageError(show(l, "parallel.sp", std::to_string(p.sp())) + " × " +
                     show(l, "parallel.dp", std::to_string(p.dp())) + " = " + std::to_string(world) +
                     " ranks, more than ringattn runs (at most " + std::to_string(kMaxRanks) + ")");
  }
  return static_cast<int>(world);
}

void resolve(LoadedConfig& l, const JobShape& job) {
  RunConfig& c = l.config;
  Parallel& par = *c.mutable_parallel();
  const auto world = static_cast<std::uint32_t>(job.world_size);
  if (par.sp() == 0) {
    if (world % par.dp() != 0) {
      throw UsageError("the job's " + std::to_string(world) + " ranks cannot be split into " +
                       show(l, "parallel.dp", std::to_string(par.dp())) +
                       " rings: sp × dp must equal the number of ranks");
    }
    par.set_sp(world / par.dp());
    l.origins.set("parallel.sp", "resolved: ranks / parallel.dp");
  } else if (const std::uint64_t product = std::uint64_t{par.sp()} * par.dp(); product != world) {
    // 64-bit: a 32-bit sp × dp wraps (65536 × 65536 = 0) and would match a world of 0.
    throw UsageError("parallel.sp × parallel.dp must equal the number of ranks (" + std::to_string(world) + "), but " +
                     show(l, "parallel.sp", std::to_string(par.sp())) + " × " +
                     show(l, "parallel.dp", std::to_string(par.dp())) + " = " + std::to_string(product));
  }

  Attention& a = *c.mutable_attention();
  if (a.kv_heads() == 0) {
    a.set_kv_heads(a.heads());
    l.origins.set("attention.kv_heads", "resolved: attention.heads");
  }
  if (a.heads() % a.kv_heads() != 0) {
    throw UsageError("attention.heads must be a multiple of attention.kv_heads, but " +
                     show(l, "attention.heads", std::to_string(a.heads())) + " and " +
                     show(l, "attention.kv_heads", std::to_string(a.kv_heads())));
  }
  if (a.backend() == BACKEND_CUDA) {
    if (job.cuda == CudaSupport::kNotBuilt) {
      throw UsageError(show(l, "attention.backend", "cuda") +
                       ", but this ringattn was built without CUDA (RA_CUDA=OFF or no nvcc)");
    }
    if (a.head_dim() != 16 && a.head_dim() != 32 && a.head_dim() != 64 && a.head_dim() != 128) {
      throw UsageError(show(l, "attention.head_dim", std::to_string(a.head_dim())) +
                       " is not supported by the cuda backend (supported: 16, 32, 64, 128)");
    }
    if (a.dtype() != DATA_TYPE_BF16) {
      throw UsageError(show(l, "attention.dtype", "fp32") +
                       " is not supported by the cuda backend (its kernels store bf16; set attention.dtype = bf16)");
    }
    // comm.backend: nccl (one rank per GPU) or mpi (device buffers staged through pinned
    // host memory; ranks may share a GPU).
  } else if (c.comm().backend() == COMM_BACKEND_NCCL) {
    throw UsageError(show(l, "comm.backend", "nccl") + " needs attention.backend = cuda, but " +
                     show(l, "attention.backend", a.backend() == BACKEND_SIMT ? "simt" : "cpu"));
  }
  if (a.backend() == BACKEND_SIMT) {
    // The CUDA kernels, emulated: their head dims and 16-bit storage only.
    if (a.head_dim() != 16 && a.head_dim() != 32 && a.head_dim() != 64 && a.head_dim() != 128) {
      throw UsageError(show(l, "attention.head_dim", std::to_string(a.head_dim())) +
                       " is not supported by the simt backend (the CUDA kernels: 16, 32, 64, 128)");
    }
    if (a.dtype() != DATA_TYPE_BF16) {
      throw UsageError(
          show(l, "attention.dtype", "fp32") +
          " is not supported by the simt backend (the CUDA kernels store bf16; set attention.dtype = bf16)");
    }
  }
  if (a.scale() == 0) {
    a.set_scale(1.0 / std::sqrt(static_cast<double>(a.head_dim())));
    l.origins.set("attention.scale", "resolved: 1/sqrt(head_dim)");
  }
  Model& m = *c.mutable_model();
  if (m.compute() == DATA_TYPE_BF16 && a.backend() == BACKEND_CPU) {
    throw UsageError(show(l, "model.compute", "bf16") +
                     " needs the device model (attention.backend = simt or cuda); the cpu backend's model computes "
                     "in fp32");
  }
  if (m.kv_heads() == 0) {
    m.set_kv_heads(m.heads());
    l.origins.set("model.kv_heads", "resolved: model.heads");
  }
  if (m.heads() % m.kv_heads() != 0) {
    throw UsageError("model.heads must be a multiple of model.kv_heads, but " +
                     show(l, "model.heads", std::to_string(m.heads())) + " and " +
                     show(l, "model.kv_heads", std::to_string(m.kv_heads())));
  }
  if (m.positions() == POSITION_ENCODING_ROPE && m.head_dim() % 2 != 0) {
    throw UsageError(show(l, "model.head_dim", std::to_string(m.head_dim())) +
                     " must be even with model.positions = rope (RoPE rotates pairs)");
  }
  const Train& t = c.train();
  if (t.min_lr() > t.lr()) {
    throw UsageError(show(l, "train.min_lr", std::to_string(t.min_lr())) + " must not exceed " +
                     show(l, "train.lr", std::to_string(t.lr())));
  }
  if (t.data().kind() != DATA_KIND_PASSKEY && t.data().files_size() == 0) {
    const std::string kind = t.data().kind() == DATA_KIND_TEXT ? "text" : "tokens";
    throw UsageError(show(l, "train.data.kind", kind) + " needs train.data.files (a list of files)");
  }
  if (par.layout() == LAYOUT_AUTO) {
    // Zigzag balances causal work; with a window, contiguous shards let the ring stop
    // after ceil((W-1)/shard) hops (zigzag's late chunk needs the whole ring).
    const bool zigzag = a.mask() == MASK_CAUSAL && a.window() == 0;
    par.set_layout(zigzag ? LAYOUT_ZIGZAG : LAYOUT_CONTIGUOUS);
    l.origins.set("parallel.layout", "resolved from auto (" + l.origins.of("parallel.layout") +
                                         "): " + (zigzag ? "causal without a window" : "not causal, or a window"));
  }
}

}  // namespace ra::config

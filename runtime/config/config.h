// Loading a run's configuration: schema defaults < YAML file < --set overrides, strictly
// (runtime/config/yaml_loader.h), then the cross-key rules against the job, which also
// resolve the "auto" values (sp = world / dp, kv_heads = heads, the layout, the scale).
#pragma once

#include <string>
#include <vector>

#include "runtime/config/origins.h"
#include "runtime/config/ringattn_config.pb.h"

namespace ra::config {

struct ConfigRequest {
  std::string yaml_path;          // empty: defaults and overrides only
  std::vector<std::string> sets;  // "attention.heads=8", applied in order
};

struct LoadedConfig {
  RunConfig config;
  Origins origins;
};

// Throws ra::UsageError (exit 2) naming file:line:col, key path, value and rule.
LoadedConfig load_config(const ConfigRequest& request);

// load_config on a YAML file's content: `file` names it in messages, `text` is its bytes.
// load_config reads the file and calls this; the config fuzz target (fuzz/) feeds it bytes.
LoadedConfig load_config_text(const std::string& file, const std::string& text, const std::vector<std::string>& sets);

enum class CudaSupport : std::uint8_t { kBuilt, kNotBuilt };

struct JobShape {
  int world_size = 1;
  CudaSupport cuda = CudaSupport::kNotBuilt;
};

// The largest job the commands that take --ranks accept (check-config, plan).
inline constexpr int kMaxRanks = 1 << 20;

// The job's number of ranks the config implies when the command is not told one
// (`ringattn check-config` and `ringattn plan` without --ranks): sp × dp, or dp when sp
// is 0 ("the whole world"). Throws ra::UsageError naming both keys when sp × dp exceeds
// kMaxRanks (each may be up to 65536: their product does not fit 32 bits).
int default_world_size(const LoadedConfig& loaded);

// Cross-key rules; fills the resolved values in place. Throws ra::UsageError naming the
// keys, their values and where they were set.
void resolve(LoadedConfig& loaded, const JobShape& job);

}  // namespace ra::config

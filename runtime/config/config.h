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

enum class CudaSupport : std::uint8_t { kBuilt, kNotBuilt };

struct JobShape {
  int world_size = 1;
  CudaSupport cuda = CudaSupport::kNotBuilt;
};

// Cross-key rules; fills the resolved values in place. Throws ra::UsageError naming the
// keys, their values and where they were set.
void resolve(LoadedConfig& loaded, const JobShape& job);

}  // namespace ra::config

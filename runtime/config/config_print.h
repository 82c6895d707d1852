// The config as text: the resolved YAML a run records (and `ringattn check-config`
// prints), and docs/config.md, generated from the schema's annotations.
#pragma once

#include <string>

#include "runtime/config/config.h"

namespace ra::config {

// YAML that loads back to the same config; each value set by a file or --set carries
// its origin as a comment.
std::string to_yaml(const LoadedConfig& loaded);

// docs/config.md: every section and key with type, default, range and documentation.
std::string config_doc_markdown();

}  // namespace ra::config

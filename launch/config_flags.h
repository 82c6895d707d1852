// The flags every configured command shares: --config FILE and --set key.path=value
// (repeatable), plus shortcut flags that are spelled-out --set overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "runtime/config/config.h"

namespace ra::launch {

struct ConfigFlags {
  std::string config_path;
  std::vector<std::string> sets;
  // Shortcut flags in the order given: (key path, value); appended after --set.
  std::vector<std::pair<std::string, std::string>> shortcuts;

  config::ConfigRequest request() const;
};

void add_config_flags(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags);

// `--name VALUE` as a shortcut for `--set key_path=VALUE`.
void add_shortcut(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags, const std::string& name,
                  const std::string& key_path, const std::string& help);

// A bare flag `--name` as a shortcut for `--set key_path=value`.
void add_shortcut_flag(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags, const std::string& name,
                       const std::string& key_path, const std::string& value, const std::string& help);

}  // namespace ra::launch

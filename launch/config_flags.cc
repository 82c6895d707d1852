#include "launch/config_flags.h"

namespace ra::launch {

config::ConfigRequest ConfigFlags::request() const {
  config::ConfigRequest r;
  r.yaml_path = config_path;
  r.sets = sets;
  for (const auto& [key, value] : shortcuts) r.sets.push_back(key + "=" + value);
  return r;
}

void add_config_flags(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags) {
  cmd.add_option("--config", flags->config_path, "YAML config file (docs/config.md)");
  cmd.add_option("--set", flags->sets,
                 "override a config value: --set attention.heads=8 (repeatable; wins over the file)");
}

void add_shortcut(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags, const std::string& name,
                  const std::string& key_path, const std::string& help) {
  // The value is checked by the strict config loader, which names the key and the rule.
  cmd.add_option_function<std::string>(
      name, [flags, key_path](const std::string& v) { flags->shortcuts.emplace_back(key_path, v); },
      help + " (= --set " + key_path + "=…)");
}

void add_shortcut_flag(CLI::App& cmd, const std::shared_ptr<ConfigFlags>& flags, const std::string& name,
                       const std::string& key_path, const std::string& value, const std::string& help) {
  cmd.add_flag_callback(
      name, [flags, key_path, value] { flags->shortcuts.emplace_back(key_path, value); },
      help + " (= --set " + key_path + "=" + value + ")");
}

}  // namespace ra::launch

// `ringattn check-config`: loads a config strictly, applies the cross-key rules for a
// job of --ranks ranks and prints the resolved YAML. `ringattn config-doc`: prints
// docs/config.md from the schema. Neither needs MPI.
#include <iostream>
#include <memory>

#include "launch/commands.h"
#include "launch/config_flags.h"
#include "runtime/backend/backend.h"
#include "runtime/config/config_print.h"

namespace ra::launch {

void add_config_commands(CLI::App& app, Action& action) {
  auto cf = std::make_shared<ConfigFlags>();
  auto ranks = std::make_shared<int>(0);
  CLI::App* check = app.add_subcommand("check-config", "Load a config strictly and print it resolved");
  add_config_flags(*check, cf);
  check->add_option("--ranks", *ranks, "the job's number of ranks (default: parallel.sp × parallel.dp, or 1)")
      ->check(CLI::Range(1, config::kMaxRanks));
  check->callback([cf, ranks, &action] {
    action = [cf, ranks] {
      config::LoadedConfig loaded = config::load_config(cf->request());
      const int world = *ranks > 0 ? *ranks : config::default_world_size(loaded);
      config::resolve(loaded, {world, backend::cuda_support()});
      std::cout << config::to_yaml(loaded);
      return 0;
    };
  });
  auto sweep_cf = std::make_shared<ConfigFlags>();
  CLI::App* points = app.add_subcommand(
      "sweep-points", "Print the grid of a config's sweep section: one 'P TOKENS_PER_RANK' line per point");
  add_config_flags(*points, sweep_cf);
  points->callback([sweep_cf, &action] {
    action = [sweep_cf] {
      const config::LoadedConfig loaded = config::load_config(sweep_cf->request());
      for (const std::uint32_t p : loaded.config.sweep().ranks()) {
        for (const std::uint64_t t : loaded.config.sweep().tokens_per_rank()) std::cout << p << ' ' << t << '\n';
      }
      return 0;
    };
  });
  CLI::App* doc =
      app.add_subcommand("config-doc", "Print the configuration reference (docs/config.md) from the schema");
  doc->callback([&action] {
    action = [] {
      std::cout << config::config_doc_markdown();
      return 0;
    };
  });
}

}  // namespace ra::launch

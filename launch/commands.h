// Subcommands of the `ringattn` executable. Each registers its flags on the app and
// returns the action to run once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ra::launch {

using Action = std::function<int()>;

void add_kernel_bench_command(CLI::App& app, Action& action);
void add_ring_bench_command(CLI::App& app, Action& action);
void add_config_commands(CLI::App& app, Action& action);
void add_attention_command(CLI::App& app, Action& action);
void add_selftest_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_plan_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);

}  // namespace ra::launch

// The `ringattn` executable: parses the command line, runs one subcommand, and turns
// every failure into one line on stderr and the exit code of docs/errors.md.
#include <exception>
#include <iostream>

#include "launch/commands.h"
#include "runtime/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"ringattn: distributed ring attention (docs/architecture.md)", "ringattn"};
  app.require_subcommand(1);
  ra::launch::Action action;
  ra::launch::add_ring_bench_command(app, action);
  ra::launch::add_kernel_bench_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ringattn: usage error: " << e.what() << " (see ringattn --help)\n";
    return static_cast<int>(ra::ExitCode::kUsage);
  }
  try {
    return action ? action() : static_cast<int>(ra::ExitCode::kUsage);
  } catch (const ra::Error& e) {
    std::cerr << "ringattn: error: " << e.what() << '\n';
    return ra::exit_status(e);
  } catch (const std::bad_alloc&) {
    std::cerr << "ringattn: error: out of memory\n";
    return static_cast<int>(ra::ExitCode::kInternal);
  } catch (const std::exception& e) {
    std::cerr << "ringattn: internal error: " << e.what() << '\n';
    return static_cast<int>(ra::ExitCode::kInternal);
  }
}

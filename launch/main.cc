// The `ringattn` executable: parses the command line, runs one subcommand, and turns
// every failure into one line on stderr and the exit code of docs/errors.md.
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "kernels/gemm/gemm.h"
#include "launch/commands.h"
#include "launch/root_guard.h"
#include "runtime/core/error.h"
#include "runtime/core/printable.h"
#include "runtime/core/stderr_line.h"

namespace {

// This process's rank as the MPI launcher announces it (before MPI is initialized), 0
// when not launched by mpirun.
int launch_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return 0;
}

// A usage error found before MPI starts, which every rank finds alike: rank 0 says it in
// one line; the other ranks say nothing and give rank 0 time to — a rank that exits first
// makes mpirun end the job, and rank 0 could be killed before its line is out (seen on a
// loaded host). mpirun ends the waiting ranks when rank 0 exits; 5 s bounds the wait if
// rank 0 never does.
int usage_exit(const std::string& line) {
  if (launch_rank() == 0) {
    std::cerr << line << std::flush;
  } else {
    ::sleep(5);
  }
  return static_cast<int>(ra::ExitCode::kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ringattn: distributed ring attention (docs/architecture.md)", "ringattn"};
  app.require_subcommand(1);
  app.fallthrough();  // --allow-root may follow the subcommand
  bool allow_root = false;
  app.add_flag("--allow-root", allow_root, "run even as root (containers, CI)")->envname("RINGATTN_ALLOW_ROOT");
  ra::launch::Action action;
  ra::launch::add_ring_bench_command(app, action);
  ra::launch::add_kernel_bench_command(app, action);
  ra::launch::add_config_commands(app, action);
  ra::launch::add_attention_command(app, action);
  ra::launch::add_selftest_command(app, action);
  ra::launch::add_train_command(app, action);
  ra::launch::add_plan_command(app, action);
  ra::launch::add_calibrate_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Under mpirun every rank parses the same flags: one line from rank 0 is enough.
    return usage_exit("ringattn: usage error: " + ra::printable(e.what()) + " (see ringattn --help)\n");
  }
  const std::string refusal = ra::launch::root_refusal(
      ::geteuid(), allow_root ? ra::launch::RootPermission::kGiven : ra::launch::RootPermission::kNotGiven);
  if (!refusal.empty()) return usage_exit("ringattn: usage error: " + refusal + "\n");
  // A GEMM library that runs far below this CPU (OpenBLAS's core detection) is said once,
  // before any work: a silent several-fold slowdown is worse than a line on stderr.
  if (const std::string warning = ra::gemm::startup_warning(); !warning.empty() && launch_rank() == 0)
    std::cerr << "ringattn: warning: " << warning << '\n';
  try {
    return action ? action() : static_cast<int>(ra::ExitCode::kUsage);
  } catch (const ra::Error& e) {
    ra::write_stderr_line("ringattn: error: " + ra::printable(e.what()));
    return ra::exit_status(e);
  } catch (const std::bad_alloc&) {
    ra::write_stderr_line(
        "ringattn: error: out of memory: an allocation failed although the run was estimated to fit; "
        "use smaller sizes (`ringattn plan` shows the estimate)");
    return static_cast<int>(ra::ExitCode::kResource);
  } catch (const std::exception& e) {
    ra::write_stderr_line(std::string("ringattn: internal error: ") + e.what());
    return static_cast<int>(ra::ExitCode::kInternal);
  }
}

// `ringattn calibrate --out F [--threads N] [--len L]` under `mpirun -n P`: measures this
// machine the way the ring uses it and writes a hardware profile of `ringattn plan`'s form
// (configs/hardware/*.yaml): the attention kernels' GFLOP/s forward and backward in fp32
// and bf16 (every rank at once, as in the ring: the slowest rank's figure), the link
// between ranks 0 and 1 (latency of an 8-byte exchange, bandwidth of 16 MiB ones), and
// the memory a rank of this node can use. With one rank the link is not measured and the
// profile says so (docs/scaling.md, "Calibrating this machine").
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "comm/collectives.h"
#include "comm/mpi/mpi_session.h"
#include "launch/commands.h"
#include "runtime/backend/backend.h"
#include "runtime/bench/kernel_bench.h"
#include "runtime/core/error.h"
#include "runtime/io/atomic_file.h"
#include "runtime/plan/memory_guard.h"

namespace ra::launch {
namespace {

struct CalibrateFlags {
  std::string out;
  int threads = 1;
  std::int64_t len = 4096;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown CPU";
}

double min_over_ranks(comm::Communicator& c, double x) {
  c.all_reduce(TensorView(&x, DType::kF64, Shape{1}), comm::ReduceOp::kMin);
  return x;
}

// Seconds of one exchange round trip between ranks 0 and 1 of `bytes` each way (median).
double round_trip_seconds(comm::Communicator& world, device::Device& dev, device::Stream& stream, std::size_t bytes,
                          int reps) {
  std::vector<unsigned char> send(bytes, 1), recv(bytes);
  const int r = world.rank();
  std::vector<double> samples;
  for (int i = 0; i < reps + 1; ++i) {
    world.barrier();
    const auto t0 = std::chrono::steady_clock::now();
    if (r <= 1) {
      const int peer = 1 - r;
      const TensorView s(send.data(), DType::kU8, Shape{static_cast<std::int64_t>(bytes)});
      const TensorView v(recv.data(), DType::kU8, Shape{static_cast<std::int64_t>(bytes)});
      // Rank 0 sends then receives the echo; rank 1 receives then echoes.
      if (r == 0) {
        world.exchange({s, peer, {}, -1, comm::CommTag{"calibrate", i, 0}}, stream);
        world.exchange({{}, -1, v, peer, comm::CommTag{"calibrate", i, 1}}, stream);
      } else {
        world.exchange({{}, -1, v, peer, comm::CommTag{"calibrate", i, 0}}, stream);
        world.exchange({s, peer, {}, -1, comm::CommTag{"calibrate", i, 1}}, stream);
      }
      stream.synchronize();
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i > 0) samples.push_back(dt);  // the first is a warm-up
  }
  (void)dev;
  std::sort(samples.begin(), samples.end());
  double med = samples[samples.size() / 2];
  world.broadcast(TensorView(&med, DType::kF64, Shape{1}), 0);
  return med;
}

int run(const CalibrateFlags& f) {
  return comm::mpi::run_on_world(
      comm::CommOptions{},
      [&](comm::Communicator& world) {
        backend::BackendOptions bo;
        bo.threads = f.threads;
        const std::unique_ptr<ring::Backend> be = backend::make_backend(world, bo);  // also ends the startup watch
        // Kernels: every rank at once (the ring's situation), the slowest rank's rate.
        double tflops[2][2] = {};  // [bf16][backward]
        for (int bf16 = 0; bf16 < 2; ++bf16) {
          for (int bwd = 0; bwd < 2; ++bwd) {
            bench::KernelBenchOptions o;
            o.op = bwd ? bench::KernelOp::kBackward : bench::KernelOp::kForward;
            o.dtype = bf16 ? DType::kBF16 : DType::kF32;
            o.len = f.len;
            o.threads = f.threads;
            o.timed_reps = 3;
            world.barrier();
            const bench::KernelBenchResult r = bench::run_kernel_bench(*be->op, o);
            tflops[bf16][bwd] = min_over_ranks(world, r.gflops) * 1e-3;
          }
        }
        // The link between ranks 0 and 1.
        double latency_us = 0, gbps = 0;
        const bool link = world.size() >= 2;
        if (link) {
          const double small = round_trip_seconds(world, *be->device, *be->comm_stream, 8, 50);
          constexpr std::size_t kBig = 16u << 20;
          const double big = round_trip_seconds(world, *be->device, *be->comm_stream, kBig, 5);
          latency_us = small / 2 * 1e6;
          gbps = static_cast<double>(kBig) / std::max(1e-9, big / 2 - small / 2) * 1e-9;
        }
        const comm::NodeLocal local = comm::node_local_rank(world);
        const plan::MemoryAvailable mem = plan::available_memory();
        if (world.rank() != 0) return 0;
        const double gib = static_cast<double>(mem.bytes) / (1024.0 * 1024 * 1024) / local.local_size;
        const std::time_t now = std::time(nullptr);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
        std::ostringstream y;
        y << std::setprecision(4);
        y << "# Measured by `ringattn calibrate` on " << cpu_model() << ", " << date << ": " << world.size()
          << " rank(s), " << f.threads << " kernel thread(s) per rank, blocks of " << f.len
          << " tokens, 4 heads, D = 64.\n"
          << "# Attention rates are the slowest rank's while every rank computes (the ring's situation); the\n"
          << "# link is ranks 0-1 (MPI): latency = half an 8-byte round trip, bandwidth from 16 MiB ones.\n";
        if (!link) y << "# One rank: the link was not measured (the figures below are placeholders).\n";
        y << "name: \"" << cpu_model() << " (calibrated)\"\n"
          << "source: \"ringattn calibrate " << date << "\"\n"
          << "device_memory_gib: " << std::max(0.01, gib) << "   # " << mem.source << ", over " << local.local_size
          << " rank(s) of this node\n"
          << "peak_tflops_bf16: " << std::max(1e-6, tflops[1][0]) << "\n"
          << "peak_tflops_fp32: " << std::max(1e-6, tflops[0][0]) << "\n"
          << "attention_efficiency: 1   # the rates below are measured\n"
          << "gemm_efficiency: 1\n"
          << "gpus_per_node: " << local.local_size << "   # ranks per node\n"
          << "intra_node_gbps: " << (link ? gbps : 1.0) << "\n"
          << "intra_node_latency_us: " << (link ? latency_us : 10.0) << "\n"
          << "inter_node_gbps: " << (link ? gbps : 1.0) << "   # one node measured: as inside it\n"
          << "inter_node_latency_us: " << (link ? latency_us : 10.0) << "\n"
          << "attention_tflops_fp32_fwd: " << std::max(1e-6, tflops[0][0]) << "\n"
          << "attention_tflops_fp32_bwd: " << std::max(1e-6, tflops[0][1]) << "\n"
          << "attention_tflops_bf16_fwd: " << std::max(1e-6, tflops[1][0]) << "\n"
          << "attention_tflops_bf16_bwd: " << std::max(1e-6, tflops[1][1]) << "\n";
        io::write_file_atomically(f.out, y.str(), {io::IfTargetExists::kReplace, &io::throw_error<UsageError>});
        std::cout << y.str() << "written: " << f.out << '\n';
        return 0;
      },
      comm::mpi::StartupWatch::kUntilDisarmed);
}

}  // namespace

void add_calibrate_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<CalibrateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Measure this machine (kernels, link, memory) and write a hardware profile for `ringattn plan`");
  cmd->add_option("--out", f->out, "the profile to write (YAML)")->required();
  cmd->add_option("--threads", f->threads, "kernel threads per rank")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--len", f->len, "tokens of the measured attention block")
      ->check(CLI::Range(256, 65536))
      ->capture_default_str();
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace ra::launch

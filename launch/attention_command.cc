// `ringattn attention`: ring attention on a user's own tensors, to check ringattn against
// their framework. Rank 0 reads and checks the .npy inputs (one error line, exit 3, on a
// bad file), every rank takes its shard in the chosen layout, the ring runs forward (and
// backward with --dout), and rank 0 writes o.npy [S, Hq, D], lse.npy [Hq, S] and
// dq/dk/dv.npy, float32, in the original token order — all together or none
// (records::OutputSet), then attention.done listing them.
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "comm/mpi/mpi_session.h"
#include "comm/shared_verdict.h"
#include "launch/commands.h"
#include "runtime/backend/backend.h"
#include "runtime/io/npy.h"
#include "runtime/records/output_dir.h"
#include "runtime/records/output_set.h"
#include "runtime/ring/full_sequence.h"
#include "runtime/tool/attention_inputs.h"

namespace ra::launch {
namespace {

struct AttentionFlags {
  tool::AttentionFiles files;
  bool causal = false;
  std::int32_t window = 0;
  double scale = 0;  // 0: 1/sqrt(D)
  std::string layout = "auto";
  std::string out_dir;
  int threads = 1;
  std::string backend = "cpu";
  std::string dtype = "fp32";
  std::string comm = "mpi";
  std::string precision = "fast";
  double comm_timeout_s = 300;
};

// The inputs as the kernels store them: f32 as read, or rounded to bf16 once.
struct Stored {
  DType dtype;
  std::vector<float> f32;
  std::vector<bf16> b16;
  Stored(const std::vector<float>& x, DType t) : dtype(t) {
    if (t == DType::kF32) {
      f32 = x;
    } else {
      b16.reserve(x.size());
      for (float v : x) b16.push_back(to_bf16(v));
    }
  }
  ConstTensorView view(const Shape& shape) const {
    if (f32.empty() && b16.empty()) return ConstTensorView();
    return dtype == DType::kF32 ? ConstTensorView(f32.data(), DType::kF32, shape)
                                : ConstTensorView(b16.data(), DType::kBF16, shape);
  }
};

// The files the tool writes, all of them removed before a run (a forward-only run after
// a backward one leaves no stale dq.npy), and the marker that says they are complete.
const std::vector<std::string> kOutputNames = {"o.npy", "lse.npy", "dq.npy", "dk.npy", "dv.npy"};
constexpr const char* kDoneMarker = "attention.done";

layout::Layout pick_layout(const AttentionFlags& f) {
  if (f.layout == "contiguous") return layout::Layout::kContiguous;
  if (f.layout == "zigzag") return layout::Layout::kZigzag;
  if (f.layout == "striped") return layout::Layout::kStriped;
  return f.causal && f.window == 0 ? layout::Layout::kZigzag : layout::Layout::kContiguous;
}

int run(const AttentionFlags& f) {
  comm::CommOptions copts;
  copts.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.comm_timeout_s * 1000));
  return comm::mpi::run_on_world(
      copts,
      [&](comm::Communicator& world) {
        tool::AttentionInputs in;
        std::unique_ptr<records::OutputDir> dir;
        std::unique_ptr<records::OutputSet> outputs;
        const DType st = f.dtype == "bf16" ? DType::kBF16 : DType::kF32;
        comm::run_on_root_and_share_verdict(world, [&] {
          // A bad, read-only or unsafe directory fails before any work; outputs of an earlier
          // run are removed now, so a failure from here on (bad inputs included) leaves none
          // that could pass for this run's.
          dir = std::make_unique<records::OutputDir>(f.out_dir);
          outputs = std::make_unique<records::OutputSet>(*dir, kDoneMarker, kOutputNames);
          in = tool::read_attention_inputs(f.files, st);
        });
        tool::broadcast_inputs(world, in);

        const Shape q_shape{in.tokens, in.heads, in.head_dim}, kv_shape{in.tokens, in.kv_heads, in.head_dim};
        auto meta = [&](const std::vector<std::int32_t>& pos, const std::vector<std::int32_t>& seg) {
          return kernels::TokenMeta{ConstTensorView(pos.data(), DType::kI32, Shape{in.tokens}),
                                    ConstTensorView(seg.data(), DType::kI32, Shape{in.tokens})};
        };
        if (f.backend != "cpu" && st != DType::kBF16) {
          throw UsageError("--backend " + f.backend + " runs the CUDA kernels, which store bf16: add --dtype bf16");
        }
        if (f.comm == "nccl" && f.backend != "cuda") {
          throw UsageError("--comm nccl needs --backend cuda (NCCL moves GPU buffers)");
        }
        const Stored q(in.q, st), k(in.k, st), v(in.v, st), dout(in.dout, st);
        ring::FullSequence seq{
            q.view(q_shape),
            k.view(kv_shape),
            v.view(kv_shape),
            dout.view(q_shape),
            meta(in.pos_q, in.seg_q),
            meta(in.pos_k, in.seg_k),
            in.alibi.empty() ? ConstTensorView() : ConstTensorView(in.alibi.data(), DType::kF32, Shape{in.heads})};
        const double scale = f.scale > 0 ? f.scale : 1.0 / std::sqrt(static_cast<double>(in.head_dim));
        const ring::FullSequenceOptions options{
            pick_layout(f),
            {f.causal ? kernels::MaskKind::kCausal : kernels::MaskKind::kBidirectional, f.window},
            static_cast<float>(scale)};
        backend::BackendOptions bo;
        bo.kernels = backend::parse_kernels(f.backend);
        bo.transport = f.comm == "nccl" ? backend::Transport::kNccl : backend::Transport::kMpi;
        bo.precision =
            f.precision == "exact" ? kernels::cuda::MmaPrecision::kExact : kernels::cuda::MmaPrecision::kFast;
        bo.threads = f.threads;
        const std::unique_ptr<ring::Backend> be = backend::make_backend(world, bo);
        const ring::FullSequenceResult r = ring::ring_attention_full(be->context(), seq, options);
        if (world.rank() != 0) return 0;

        auto write = [&](const char* name, const std::vector<float>& x, const std::vector<std::int64_t>& shape) {
          outputs->add(name, io::npy_bytes(DType::kF32, shape, x.data()));
        };
        write("o.npy", r.o, {in.tokens, in.heads, in.head_dim});
        write("lse.npy", r.lse, {in.heads, in.tokens});
        std::string wrote = "o.npy, lse.npy";
        if (!in.dout.empty()) {
          write("dq.npy", r.dq, {in.tokens, in.heads, in.head_dim});
          write("dk.npy", r.dk, {in.tokens, in.kv_heads, in.head_dim});
          write("dv.npy", r.dv, {in.tokens, in.kv_heads, in.head_dim});
          wrote += ", dq.npy, dk.npy, dv.npy";
        }
        outputs->commit();
        std::cout << "ringattn attention: S = " << in.tokens << ", Hq/Hkv = " << in.heads << "/" << in.kv_heads
                  << ", D = " << in.head_dim << ", " << world.size() << " ranks, "
                  << layout::layout_name(options.layout) << ", " << r.schedule.last_step() + 1 << " ring steps: wrote "
                  << wrote << " to " << dir->path() << "\n";
        return 0;
      },
      comm::mpi::StartupWatch::kUntilDisarmed);
}

}  // namespace

void add_attention_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<AttentionFlags>();
  CLI::App* cmd = app.add_subcommand("attention", "Ring attention on your own tensors (.npy in, .npy out)");
  cmd->add_option("--q", f->files.q, "queries [S, Hq, D] float32/float16")->required();
  cmd->add_option("--k", f->files.k, "keys [S, Hkv, D]")->required();
  cmd->add_option("--v", f->files.v, "values [S, Hkv, D]")->required();
  cmd->add_option("--dout", f->files.dout, "upstream gradient [S, Hq, D]: also compute dq, dk, dv");
  cmd->add_option("--pos-q", f->files.pos_q, "query positions int32 [S] (default 0..S-1)");
  cmd->add_option("--pos-k", f->files.pos_k, "key positions int32 [S] (default 0..S-1)");
  cmd->add_option("--seg-q", f->files.seg_q, "query segment ids int32 [S] (default 0; -1: padding)");
  cmd->add_option("--seg-k", f->files.seg_k, "key segment ids int32 [S] (default 0; -1: padding)");
  cmd->add_option("--alibi", f->files.alibi, "ALiBi slopes float32 [Hq]");
  cmd->add_flag("--causal", f->causal, "causal mask (default: bidirectional)");
  cmd->add_option("--window", f->window, "sliding window W (0: none)")->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--scale", f->scale, "softmax scale (default 1/sqrt(D))")->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--layout", f->layout,
                  "auto (zigzag for causal without a window, else contiguous), contiguous, zigzag, striped")
      ->check(CLI::IsMember({"auto", "contiguous", "zigzag", "striped"}))
      ->capture_default_str();
  cmd->add_option("--out-dir", f->out_dir, "where rank 0 writes o.npy, lse.npy (and dq, dk, dv.npy)")->required();
  cmd->add_option("--threads", f->threads, "kernel threads per rank")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--backend", f->backend,
                  "kernels: cpu, cuda (GPUs), or simt (the CUDA kernels under the SIMT emulator); cuda and simt need "
                  "--dtype bf16")
      ->check(CLI::IsMember({"cpu", "simt", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--comm", f->comm, "transport: mpi, or nccl (with --backend cuda: one rank per GPU)")
      ->check(CLI::IsMember({"mpi", "nccl"}))
      ->capture_default_str();
  cmd->add_option("--precision", f->precision,
                  "cuda and simt: products of P and dS rounded to bf16 (fast, as FlashAttention) or at fp32 (exact)")
      ->check(CLI::IsMember({"fast", "exact"}))
      ->capture_default_str();
  cmd->add_option("--dtype", f->dtype,
                  "storage dtype the inputs are rounded to before the ring: fp32 or bf16 (outputs are float32)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--comm-timeout", f->comm_timeout_s, "seconds any wait for a peer may take before exit code 4")
      ->check(CLI::Range(0.01, 86400.0))
      ->capture_default_str();
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace ra::launch

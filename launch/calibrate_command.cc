// `ringattn calibrate --out F [--threads N] [--len L] [--repeat R]` under `mpirun -n P`: measures this
// machine the way the ring uses it and writes a hardware profile of `ringattn plan`'s form
// (configs/hardware/*.yaml): the attention kernels' GFLOP/s forward and backward in fp32
// and bf16 (every rank at once, as in the ring: the slowest rank's figure), their tiles
// and the premium of a tile the mask cuts (masked against bidirectional blocks), the
// rate of the ring's own memory passes (an f32 sum), the link between ranks 0 and 1
// (latency of an 8-byte exchange, bandwidth of 16 MiB ones), the GEMMs' rate and the host
// model's cost per element besides GEMMs (a training step of the cpu backend), and the
// memory a rank of this node can use. With one rank the link is not measured and the
// profile says so (docs/scaling.md, "Calibrating this machine"). --repeat R calibrates R
// times and writes each figure's median.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "comm/collectives.h"
#include "comm/mpi/mpi_session.h"
#include "launch/commands.h"
#include "runtime/backend/backend.h"
#include "runtime/bench/host_model_bench.h"
#include "runtime/bench/kernel_bench.h"
#include "runtime/bench/ring_bench.h"
#include "runtime/core/error.h"
#include "runtime/io/atomic_file.h"
#include "runtime/model/transformer.h"
#include "runtime/plan/bench_plan.h"
#include "runtime/plan/hardware.h"
#include "runtime/plan/memory_guard.h"
#include "runtime/plan/time_model.h"
#include "runtime/trace/timeline.h"

namespace ra::launch {
namespace {

struct CalibrateFlags {
  std::string out;
  int threads = 1;
  std::int64_t len = 4096;
  int repeat = 1;  // calibrations, each figure the median over them
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

double max_over_ranks(comm::Communicator& c, double x) {
  c.all_reduce(TensorView(&x, DType::kF64, Shape{1}), comm::ReduceOp::kMax);
  return x;
}

// A square tile side for the time model (time_model.h, TileCost): the geometric mean of
// the kernels' q_rows × k_cols (equal in the defaults).
std::int64_t square_side(const backend::TileShape& t) {
  return static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(t.q_rows * t.k_cols))));
}

// What a tile the mask cuts costs against a full one, from a masked and a bidirectional
// block of `len` timed alike: t_masked / t_bidir = (full + κ·partial) / len², with full
// and partial the masked block's tile areas (block_work with κ = 0 and 1). The mask is
// plain causal — the diagonal's cut tiles, what causal training cuts — on a block of
// kCutBlockTokens, small enough that the cut tiles are a fair share of its work (4 of 10
// tiles of 256 tokens, 8 of 36 of 128), so timing noise moves κ little. (A window's edge
// tiles cost more here: causal with a window of 512 on a 4,096-token block gave κ 1.8
// fp32 / 2.3 bf16 forward, the diagonal's 1.3–1.5 / 1.4–2.1; the diagonal's serve both.)
// At least 1: a cut tile does all of a full one's products (below 1 is timing noise).
constexpr std::int64_t kCutBlockTokens = 1024;
double partial_tile_cost(double masked_s, double bidirectional_s, std::int64_t len, std::int64_t tile,
                         const numerics::MaskRule& mask) {
  const double full = plan::block_work(0, 0, len, mask, {tile, 0.0});
  const double partial = plan::block_work(0, 0, len, mask, {tile, 1.0}) - full;
  if (tile <= 1 || partial <= 0 || bidirectional_s <= 0) return 1.0;
  const double area = static_cast<double>(len) * static_cast<double>(len);
  return std::max(1.0, (masked_s / bidirectional_s * area - full) / partial);
}

constexpr std::int64_t kSmallHeadDim = 16;

// The kernels' time per (query, key) pair and head as φ/F + τ, φ its FLOPs (4·D forward,
// 2.5 × that backward; time_model.h), from bidirectional blocks of `len` at D = 64 and
// D = 16 (t_64, t_16): 1/F = (u_64 − u_16)/(φ_64 − φ_16), τ = u_16 − φ_16/F with
// u = t/(len²·heads). Noise that makes either negative falls back to D = 64's rate alone.
struct PairHeadCost {
  double flops_per_s = 0, seconds = 0;
};
PairHeadCost pair_head_cost(bench::KernelOp op, std::int64_t len, std::int64_t heads, double t64_s, double t16_s) {
  const double pair_heads = static_cast<double>(len) * static_cast<double>(len) * static_cast<double>(heads);
  const double phi64 = bench::attention_flops(op, len, 64, heads, {numerics::MaskKind::kBidirectional, 0}) / pair_heads;
  const double phi16 =
      bench::attention_flops(op, len, kSmallHeadDim, heads, {numerics::MaskKind::kBidirectional, 0}) / pair_heads;
  const double u64 = t64_s / pair_heads, u16 = t16_s / pair_heads;
  const double inv_rate = (u64 - u16) / (phi64 - phi16);
  const double tau = inv_rate > 0 ? u16 - phi16 * inv_rate : -1.0;
  if (tau < 0) return {phi64 / u64, 0.0};
  return {1.0 / inv_rate, tau};
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

// The kernels computing on their own thread while it lives (forward passes over a
// 1,024-token block, one after another): the ring's situation for the link, whose
// transfers share the rank's cores with the compute on a CPU node.
class ComputeLoad {
 public:
  explicit ComputeLoad(const backend::BackendOptions& bo) : op_(backend::make_block_op(bo)) {
    thread_ = std::thread([this] {
      bench::KernelBenchOptions o;
      o.len = 1024;
      o.warmup_reps = 0;
      o.timed_reps = 1;
      while (!stop_.load()) bench::run_kernel_bench(*op_, o);
    });
  }
  ComputeLoad(const ComputeLoad&) = delete;
  ComputeLoad& operator=(const ComputeLoad&) = delete;
  ~ComputeLoad() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::unique_ptr<kernels::AttentionBlockOp> op_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The ring's own memory passes (zeroing and summing the f32 dK/dV, packing K/V: the time
// model's M / B_mem): dst += src over two 8 MiB f32 buffers — the dK/dV of a 4,096-token
// block — on every rank at once; bytes read and written per second (median of 9), the
// slowest rank's.
double memory_gbps(comm::Communicator& world, ring::Backend& be) {
  constexpr std::int64_t kElems = 2 << 20;
  constexpr std::size_t kBytes = kElems * sizeof(float);
  const std::unique_ptr<device::DeviceBuffer> dst = be.device->allocate(kBytes), src = be.device->allocate(kBytes);
  const TensorView d = dst->view(DType::kF32, Shape{kElems}), s = src->view(DType::kF32, Shape{kElems});
  be.device->fill_zero(d, *be.compute);
  be.device->fill_zero(s, *be.compute);
  be.compute->synchronize();
  std::vector<double> samples;
  world.barrier();
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    be.device->add_f32(d, s, *be.compute);
    be.compute->synchronize();
    if (i > 0) samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(samples.begin(), samples.end());
  return 3.0 * static_cast<double>(kBytes) / max_over_ranks(world, samples[samples.size() / 2]) * 1e-9;
}

struct Link {
  double latency_us = 0, gbps = 0;
};

// Latency (half an 8-byte round trip) and bandwidth (16 MiB round trips, less the
// latency) between ranks 0 and 1.
Link measure_link(comm::Communicator& world, ring::Backend& be) {
  const double small = round_trip_seconds(world, *be.device, *be.comm_stream, 8, 50);
  constexpr std::size_t kBig = 16u << 20;
  const double big = round_trip_seconds(world, *be.device, *be.comm_stream, kBig, 5);
  return {small / 2 * 1e6, static_cast<double>(kBig) / std::max(1e-9, big / 2 - small / 2) * 1e-9};
}

// The ring's overheads beyond what the model has measured so far (kernels, hops, memory
// passes): a fixed cost per pass (enqueueing, the streams' handoffs, the final
// synchronization), one per hop (the compute and comm threads handing a block over, the
// comm thread's polling) and, in a ring of several ranks, a slowdown of its compute (the
// comm thread's copies and polls share the cores and caches). Measured on rings that are
// bidirectional and contiguous — a shape the validation grid (scripts/plan_validate.sh)
// does not contain — each against plan_bench on the profile so far:
//   - every rank alone (a one-rank ring, no hop), 512 tokens: the pass cost;
//   - all ranks at 512 and --len (4,096) tokens per rank: excess = hops·σ_hop + ρ·compute,
//     two sizes for the two unknowns (the larger as large as the kernels' blocks: the
//     slowdown grows with the blocks, whose received K/V no longer sit in the caches).
// Per storage dtype (fp32 and bf16 apart: bf16's kernels are about twice as fast, so the
// comm thread's copies and polls weigh more against them), each at least 0.
constexpr std::int64_t kRingSmallTokens = 512;
// The larger ring's tokens per rank: the kernels' measured block (--len), at least twice the small.
std::int64_t ring_large_tokens(std::int64_t len) { return std::max(2 * kRingSmallTokens, len); }

struct RingRun {
  double measured_s[2], model_s[2], compute_s[2];  // forward, backward
  int hops;
};

RingRun time_ring(comm::Communicator& world, comm::Communicator& ring, ring::Backend& be, trace::Timeline& timeline,
                  const plan::HardwareProfile& h, int threads, std::int64_t tokens, DType dtype) {
  bench::RingBenchOptions b;
  b.layout = layout::Layout::kContiguous;
  b.seq_len = tokens * ring.size();
  b.mask = {numerics::MaskKind::kBidirectional, 0};
  b.dtype = dtype;
  b.threads = threads;
  b.warmup_reps = 1;
  // Milliseconds each (the small ring's well under two): the median of many, since the
  // overheads are what is left of them after the model.
  b.timed_reps = tokens <= kRingSmallTokens ? 31 : 7;
  world.barrier();
  const bench::RingBenchResult r =
      bench::run_ring_bench({*be.device, *be.compute, *be.comm_stream, ring, *be.op}, timeline, b);
  plan::BenchInputs in;
  in.seq_len = b.seq_len;
  in.sp = ring.size();
  in.storage = dtype;
  in.mask = b.mask;
  in.layout = b.layout;
  const plan::BenchPlan p = plan::plan_bench(in, h);
  return {{max_over_ranks(world, r.fwd_seconds), max_over_ranks(world, r.bwd_seconds)},
          {p.ring.fwd_s, p.ring.bwd_s},
          {p.ring.fwd_compute_s, p.ring.bwd_compute_s},
          r.last_step};
}

// Fills h's ring_overhead figures for both dtypes.
void fit_ring_overhead(comm::Communicator& world, ring::Backend& be, trace::Timeline& timeline,
                       plan::HardwareProfile& h, int threads, std::int64_t large_tokens) {
  const std::unique_ptr<comm::Communicator> alone = world.split(world.rank(), 0);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    plan::HardwareProfile::RingOverheadFigures& o = h.ring_overhead(dtype == DType::kBF16);
    o = {};
    const RingRun r = time_ring(world, *alone, be, timeline, h, threads, kRingSmallTokens, dtype);
    o.pass_us_fwd = std::max(0.0, r.measured_s[0] - r.model_s[0]) * 1e6;
    o.pass_us_bwd = std::max(0.0, r.measured_s[1] - r.model_s[1]) * 1e6;
    // From here on the model has the pass cost.
    if (world.size() == 1) continue;  // one rank: no hop to measure
    const RingRun small = time_ring(world, world, be, timeline, h, threads, kRingSmallTokens, dtype);
    const RingRun large = time_ring(world, world, be, timeline, h, threads, large_tokens, dtype);
    double rho[2], hop_s[2];
    for (int pass = 0; pass < 2; ++pass) {
      const double e1 = small.measured_s[pass] - small.model_s[pass];
      const double e2 = large.measured_s[pass] - large.model_s[pass];
      const double c1 = small.compute_s[pass], c2 = large.compute_s[pass];
      rho[pass] = std::max(0.0, (e2 - e1) / std::max(1e-12, c2 - c1));
      hop_s[pass] = std::max(0.0, (e1 - rho[pass] * c1) / std::max(1, small.hops));
    }
    o.slowdown_fwd = rho[0];
    o.slowdown_bwd = rho[1];
    o.hop_us_fwd = hop_s[0] * 1e6;
    o.hop_us_bwd = hop_s[1] * 1e6;
  }
}

// The host model (a training step of the cpu backend, runtime/model/transformer.h): the
// GEMMs' rate (a linear layer's three GEMMs at the reference model's widest shape, f32
// and bf16 inputs: the profile's peak_tflops_*), and its cost per element besides GEMMs
// and attention — a step of the reference model with an attention that does nothing,
// less its GEMM FLOPs at that rate, over model::host_step_work's elements. Every rank at
// once (a training job's situation), the slowest rank's figures. The reference model's
// widths differ from the validation grid's (scripts/plan_validate.sh), so the grid tests
// how the per-element cost carries over to other widths and token counts.
struct HostModel {
  double gemm_tflops_fp32 = 0, gemm_tflops_bf16 = 0, elementwise_ns_per_elem = 0;
  double step_s = 0, gemm_s = 0;  // the reference step, and its GEMMs at the measured rate
};

model::ModelConfig host_reference_model() {
  model::ModelConfig c;
  c.vocab = 512;
  c.d_model = 128;
  c.layers = 2;
  c.heads = 8;
  c.kv_heads = 4;
  c.head_dim = 16;
  c.mlp_hidden = 352;
  return c;
}
constexpr std::int64_t kHostReferenceTokens = 8192;

HostModel host_model(comm::Communicator& world) {
  const model::ModelConfig ref = host_reference_model();
  const std::int64_t n = kHostReferenceTokens;
  HostModel h;
  world.barrier();
  // The slowest rank's rate is the smallest: the maximum of the negated rates.
  h.gemm_tflops_fp32 = -max_over_ranks(world, -bench::linear_gemm_flops_per_s(n, ref.d_model, ref.mlp_hidden,
                                                                              bench::GemmInputs::kF32, 9)) *
                       1e-12;
  world.barrier();
  h.gemm_tflops_bf16 = -max_over_ranks(world, -bench::linear_gemm_flops_per_s(n, ref.d_model, ref.mlp_hidden,
                                                                              bench::GemmInputs::kBF16, 9)) *
                       1e-12;
  world.barrier();
  h.step_s = max_over_ranks(world, bench::host_model_step_seconds(ref, n, 7));
  const model::HostStepWork work = model::host_step_work(ref);
  h.gemm_s = work.gemm_flops_per_token * static_cast<double>(n) / (h.gemm_tflops_fp32 * 1e12);
  h.elementwise_ns_per_elem =
      std::max(0.0, h.step_s - h.gemm_s) / (work.elementwise_elems_per_token * static_cast<double>(n)) * 1e9;
  return h;
}

// One calibration: the profile's figures, and what the profile's comments report besides.
struct Measurement {
  plan::HardwareProfile h;
  double cost[2][2] = {};  // [bf16][backward]: partial_tile_cost
  Link idle{10, 1};        // the link without a compute load (one rank: placeholders)
  HostModel hm;
};

Measurement measure(comm::Communicator& world, ring::Backend& be, trace::Timeline& timeline,
                    const backend::BackendOptions& bo, const CalibrateFlags& f) {
  Measurement m;
  plan::HardwareProfile& h = m.h;
  // Kernels: every rank at once (the ring's situation), the slowest rank's rate on
  // a bidirectional block (every tile full), and a smaller block causal and
  // bidirectional for the premium of the tiles the mask cuts (partial_tile_cost): the
  // time model's TileCost. The rate is flat over block size from 512 tokens up on the CPU
  // kernels (docs/scaling.md), so one size is measured.
  const backend::KernelTiles tiles = backend::kernel_tiles(bo);
  const std::int64_t tile[2] = {square_side(tiles.forward), square_side(tiles.backward)};
  double tflops[2][2] = {};   // [bf16][backward]
  double pair_ns[2][2] = {};  // [bf16][backward]: per pair-head besides the FLOPs
  double pair_s[2][2] = {};   // [bf16][backward]: a full tile's seconds per pair-head at D = 64
  for (int bf16 = 0; bf16 < 2; ++bf16) {
    for (int bwd = 0; bwd < 2; ++bwd) {
      bench::KernelBenchOptions o;
      const std::int64_t kernel_head_dim = o.head_dim;  // 64
      o.op = bwd ? bench::KernelOp::kBackward : bench::KernelOp::kForward;
      o.dtype = bf16 ? DType::kBF16 : DType::kF32;
      o.len = f.len;
      o.threads = f.threads;
      o.timed_reps = 9;  // medians: the rate and per-pair fit takes differences of two timings
      world.barrier();
      const double full_s = max_over_ranks(world, bench::run_kernel_bench(*be.op, o).seconds);
      // The same block at D = 16 (kSmallHeadDim): with D = 64's, the FLOPs' rate
      // and the per-pair cost besides (pair_head_cost).
      o.head_dim = kSmallHeadDim;
      world.barrier();
      const double small_s = max_over_ranks(world, bench::run_kernel_bench(*be.op, o).seconds);
      o.head_dim = kernel_head_dim;
      // The cut tiles' premium: a causal block of kCutBlockTokens against a bidirectional
      // one of as many, timed alike (milliseconds each: medians of more repetitions).
      const numerics::MaskRule cut{numerics::MaskKind::kCausal, 0};
      o.len = kCutBlockTokens;
      o.timed_reps = 25;
      world.barrier();
      const double cut_full_s = max_over_ranks(world, bench::run_kernel_bench(*be.op, o).seconds);
      o.mask = cut.kind;
      world.barrier();
      const double masked_s = max_over_ranks(world, bench::run_kernel_bench(*be.op, o).seconds);
      o.mask = numerics::MaskKind::kBidirectional;
      o.len = f.len;
      const PairHeadCost c = pair_head_cost(o.op, f.len, o.heads, full_s, small_s);
      tflops[bf16][bwd] = std::max(1e-6, c.flops_per_s * 1e-12);
      pair_ns[bf16][bwd] = c.seconds * 1e9;
      m.cost[bf16][bwd] = partial_tile_cost(masked_s, cut_full_s, kCutBlockTokens, tile[bwd], cut);
      pair_s[bf16][bwd] = cut_full_s / (static_cast<double>(kCutBlockTokens) * static_cast<double>(kCutBlockTokens) *
                                        static_cast<double>(o.heads));
    }
  }
  h.attention_tflops_fp32_fwd = tflops[0][0];
  h.attention_tflops_bf16_fwd = tflops[1][0];
  m.hm = host_model(world);
  h.peak_tflops_fp32 = m.hm.gemm_tflops_fp32;
  h.peak_tflops_bf16 = m.hm.gemm_tflops_bf16;
  h.host_elementwise_ns_per_elem = m.hm.elementwise_ns_per_elem;
  h.attention_tflops_fp32_bwd = tflops[0][1];
  h.attention_tflops_bf16_bwd = tflops[1][1];
  h.attention_pair_ns_fp32_fwd = pair_ns[0][0];
  h.attention_pair_ns_fp32_bwd = pair_ns[0][1];
  h.attention_pair_ns_bf16_fwd = pair_ns[1][0];
  h.attention_pair_ns_bf16_bwd = pair_ns[1][1];
  h.attention_efficiency = h.gemm_efficiency = 1;
  if (tile[0] > 1 && tile[1] > 1) {
    // One premium per pass, in ns per pair-head (the mask's work, whatever D and
    // dtype: fp32's and bf16's agree within noise, their ratios do not): the mean of
    // (κ − 1) × a full tile's time per pair-head.
    h.attention_tile_tokens_fwd = tile[0];
    h.attention_tile_tokens_bwd = tile[1];
    h.attention_partial_pair_ns_fwd = ((m.cost[0][0] - 1) * pair_s[0][0] + (m.cost[1][0] - 1) * pair_s[1][0]) / 2 * 1e9;
    h.attention_partial_pair_ns_bwd = ((m.cost[0][1] - 1) * pair_s[0][1] + (m.cost[1][1] - 1) * pair_s[1][1]) / 2 * 1e9;
  }
  h.memory_gbps = memory_gbps(world, be);
  // The link between ranks 0 and 1, idle and while every rank computes (what the
  // ring sees: on a CPU node the transfers share the cores with the kernels). The
  // profile takes the latter. One rank: placeholders (its ring never hops).
  Link loaded{10, 1};
  const bool link = world.size() >= 2;
  if (link) {
    m.idle = measure_link(world, be);
    const ComputeLoad load(bo);
    loaded = measure_link(world, be);
  }
  const comm::NodeLocal local = comm::node_local_rank(world);
  h.gpus_per_node = local.local_size;
  h.intra_node_gbps = h.inter_node_gbps = loaded.gbps;
  h.intra_node_latency_us = h.inter_node_latency_us = loaded.latency_us;
  fit_ring_overhead(world, be, timeline, h, f.threads, ring_large_tokens(f.len));
  return m;
}

// The median over calibrations of each figure apart (the middle two's mean for an even
// count): a slow spell of a shared machine moves one calibration, not the profile.
Measurement median_of(const std::vector<Measurement>& ms) {
  const auto median = [&](const auto& get) {
    std::vector<double> v;
    for (const Measurement& m : ms) v.push_back(get(m));
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  using HP = plan::HardwareProfile;
  static constexpr double HP::*kFigures[] = {&HP::peak_tflops_bf16,
                                             &HP::peak_tflops_fp32,
                                             &HP::memory_gbps,
                                             &HP::intra_node_gbps,
                                             &HP::intra_node_latency_us,
                                             &HP::inter_node_gbps,
                                             &HP::inter_node_latency_us,
                                             &HP::attention_tflops_fp32_fwd,
                                             &HP::attention_tflops_fp32_bwd,
                                             &HP::attention_tflops_bf16_fwd,
                                             &HP::attention_tflops_bf16_bwd,
                                             &HP::attention_pair_ns_fp32_fwd,
                                             &HP::attention_pair_ns_fp32_bwd,
                                             &HP::attention_pair_ns_bf16_fwd,
                                             &HP::attention_pair_ns_bf16_bwd,
                                             &HP::attention_partial_pair_ns_fwd,
                                             &HP::attention_partial_pair_ns_bwd,
                                             &HP::host_elementwise_ns_per_elem};
  using RO = HP::RingOverheadFigures;
  static constexpr double RO::*kRingFigures[] = {&RO::pass_us_fwd, &RO::pass_us_bwd,  &RO::hop_us_fwd,
                                                 &RO::hop_us_bwd,  &RO::slowdown_fwd, &RO::slowdown_bwd};
  Measurement out = ms.front();  // what does not vary: name, tiles, ranks per node
  for (double HP::*field : kFigures) out.h.*field = median([&](const Measurement& m) { return m.h.*field; });
  for (bool bf16 : {false, true}) {
    for (double RO::*field : kRingFigures) {
      out.h.ring_overhead(bf16).*field = median([&](const Measurement& m) { return m.h.ring_overhead(bf16).*field; });
    }
  }
  for (int b = 0; b < 2; ++b) {
    for (int pass = 0; pass < 2; ++pass)
      out.cost[b][pass] = median([&](const Measurement& m) { return m.cost[b][pass]; });
  }
  out.idle.latency_us = median([](const Measurement& m) { return m.idle.latency_us; });
  out.idle.gbps = median([](const Measurement& m) { return m.idle.gbps; });
  out.hm.step_s = median([](const Measurement& m) { return m.hm.step_s; });
  out.hm.gemm_s = median([](const Measurement& m) { return m.hm.gemm_s; });
  return out;
}

int run(const CalibrateFlags& f) {
  return comm::mpi::run_on_world(
      comm::CommOptions{},
      [&](comm::Communicator& world) {
        trace::Timeline timeline(world.rank());  // the ring bench's observer (exposed waits)
        backend::BackendOptions bo;
        bo.threads = f.threads;
        bo.observer = &timeline;
        const std::unique_ptr<ring::Backend> be = backend::make_backend(world, bo);  // also ends the startup watch
        std::vector<Measurement> ms;
        for (int i = 0; i < f.repeat; ++i) ms.push_back(measure(world, *be, timeline, bo, f));
        const Measurement m = median_of(ms);
        plan::HardwareProfile h = m.h;
        const Link& idle = m.idle;
        const HostModel& hm = m.hm;
        const auto& cost = m.cost;
        const bool link = world.size() >= 2;
        const comm::NodeLocal local = comm::node_local_rank(world);
        const plan::MemoryAvailable mem = plan::available_memory();
        if (world.rank() != 0) return 0;
        h.device_memory_gib =
            std::max(0.01, static_cast<double>(mem.bytes) / (1024.0 * 1024 * 1024) / local.local_size);
        const std::time_t now = std::time(nullptr);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
        std::ostringstream y;
        y << std::setprecision(4);
        y << "# Measured by `ringattn calibrate` on " << cpu_model() << ", " << date << ": " << world.size()
          << " rank(s), " << f.threads << " kernel thread(s) per rank, blocks of " << f.len
          << " tokens, 4 heads, D = 64; each figure the median of " << f.repeat << " calibration(s).\n"
          << "# Attention rates are the slowest rank's while every rank computes (the ring's situation); the\n"
          << "# link is ranks 0-1 (MPI): latency = half an 8-byte round trip, bandwidth from 16 MiB ones,\n"
          << "# measured while every rank computes (the ring's situation); idle: " << idle.latency_us << " us, "
          << idle.gbps << " GB/s.\n";
        if (!link) y << "# One rank: the link was not measured (the figures below are placeholders).\n";
        y << "name: \"" << cpu_model() << " (calibrated)\"\n"
          << "source: \"ringattn calibrate " << date << "\"\n"
          << "device_memory_gib: " << h.device_memory_gib << "   # " << mem.source << ", over " << local.local_size
          << " rank(s) of this node\n"
          << "# The GEMMs (the host model's): a linear layer's three GEMMs over [" << kHostReferenceTokens << ", "
          << host_reference_model().d_model << "] x [" << host_reference_model().mlp_hidden << ", "
          << host_reference_model().d_model << "], bf16 and f32 inputs.\n"
          << "peak_tflops_bf16: " << h.peak_tflops_bf16 << "\n"
          << "peak_tflops_fp32: " << h.peak_tflops_fp32 << "\n"
          << "attention_efficiency: 1   # the rates below are measured\n"
          << "gemm_efficiency: 1\n"
          << "memory_gbps: " << h.memory_gbps << "   # dst += src over 8 MiB f32 buffers, every rank at once\n"
          << "gpus_per_node: " << h.gpus_per_node << "   # ranks per node\n"
          << "intra_node_gbps: " << h.intra_node_gbps << "\n"
          << "intra_node_latency_us: " << h.intra_node_latency_us << "\n"
          << "inter_node_gbps: " << h.inter_node_gbps << "   # one node measured: as inside it\n"
          << "inter_node_latency_us: " << h.inter_node_latency_us << "\n"
          << "attention_tflops_fp32_fwd: " << h.attention_tflops_fp32_fwd << "\n"
          << "attention_tflops_fp32_bwd: " << h.attention_tflops_fp32_bwd << "\n"
          << "attention_tflops_bf16_fwd: " << h.attention_tflops_bf16_fwd << "\n"
          << "attention_tflops_bf16_bwd: " << h.attention_tflops_bf16_bwd << "\n"
          << "# What a (query, key) pair costs per head besides the FLOPs at the rates above (ns): from\n"
          << "# bidirectional blocks at D = 64 and D = " << kSmallHeadDim << " (the rates above are the FLOPs' own).\n"
          << "attention_pair_ns_fp32_fwd: " << h.attention_pair_ns_fp32_fwd << "\n"
          << "attention_pair_ns_fp32_bwd: " << h.attention_pair_ns_fp32_bwd << "\n"
          << "attention_pair_ns_bf16_fwd: " << h.attention_pair_ns_bf16_fwd << "\n"
          << "attention_pair_ns_bf16_bwd: " << h.attention_pair_ns_bf16_bwd << "\n";
        if (h.attention_tile_tokens_fwd > 0) {
          y << "# The kernels' tiles, and what a tile the mask cuts costs more than a full one per pair-head\n"
            << "# (ns; causal against bidirectional blocks of " << kCutBlockTokens
            << " tokens at D = 64, where a cut tile costs fp32 " << cost[0][0] << " / " << cost[0][1] << ", bf16 "
            << cost[1][0] << " / " << cost[1][1] << " x a full one, forward / backward).\n"
            << "attention_tile_tokens_fwd: " << h.attention_tile_tokens_fwd << "\n"
            << "attention_tile_tokens_bwd: " << h.attention_tile_tokens_bwd << "\n"
            << "attention_partial_pair_ns_fwd: " << h.attention_partial_pair_ns_fwd << "\n"
            << "attention_partial_pair_ns_bwd: " << h.attention_partial_pair_ns_bwd << "\n";
        }
        y << "# The host model's work besides GEMMs and attention, per element of model::host_step_work: a\n"
          << "# training step of a reference model (d_model 128, 8/4 heads of 16, MLP 352, vocab 512, 2 layers)\n"
          << "# at " << kHostReferenceTokens << " tokens took " << hm.step_s * 1e3 << " ms, its GEMMs "
          << hm.gemm_s * 1e3 << " ms of it at the rate above.\n"
          << "host_elementwise_ns_per_elem: " << h.host_elementwise_ns_per_elem << "\n";
        y << "# The ring's overheads beyond the above: per pass, per hop, and its compute's slowdown with\n"
          << "# several ranks, per dtype (bidirectional contiguous rings: one rank alone at " << kRingSmallTokens
          << " tokens,\n# then all " << world.size() << " at " << kRingSmallTokens << " and "
          << ring_large_tokens(f.len) << " tokens per rank, against the model on the figures above).\n";
        for (bool bf16 : {false, true}) {
          const plan::HardwareProfile::RingOverheadFigures& o = h.ring_overhead(bf16);
          const std::string d = bf16 ? "bf16" : "fp32";
          y << "ring_pass_overhead_us_" << d << "_fwd: " << o.pass_us_fwd << "\n"
            << "ring_pass_overhead_us_" << d << "_bwd: " << o.pass_us_bwd << "\n"
            << "ring_hop_overhead_us_" << d << "_fwd: " << o.hop_us_fwd << "\n"
            << "ring_hop_overhead_us_" << d << "_bwd: " << o.hop_us_bwd << "\n"
            << "ring_compute_slowdown_" << d << "_fwd: " << o.slowdown_fwd << "\n"
            << "ring_compute_slowdown_" << d << "_bwd: " << o.slowdown_bwd << "\n";
        }
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
  cmd->add_option("--repeat", f->repeat,
                  "calibrate this many times and write each figure's median (a shared or noisy machine)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace ra::launch

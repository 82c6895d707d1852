#include "runtime/backend/backend.h"

#include <cstdlib>
#include <string>

#include "comm/checksummed_communicator.h"
#include "comm/fault_injecting_communicator.h"
#include "kernels/cpu/cpu_attention.h"
#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/gemm/host_column_major_gemm.h"
#include "runtime/backend/cuda_parts.h"
#include "runtime/backend/simt_block_op.h"
#include "runtime/core/check.h"
#include "runtime/core/startup_watchdog.h"
#include "runtime/device/cpu/cpu_device.h"

namespace ra::backend {
namespace {

kernels::cpu::TileSizes tiles_or(const TileShape& t, kernels::cpu::TileSizes fallback) {
  if (t.q_rows > 0) fallback.q_rows = t.q_rows;
  if (t.k_cols > 0) fallback.k_cols = t.k_cols;
  return fallback;
}

// RINGATTN_FAULT (scripts/fault_matrix.sh, docs/errors.md): the ring's communicator with
// one planted fault. Read here only, and only when set: a run without it is unchanged.
void plant_fault(ring::Backend& b) {
  const char* spec = std::getenv("RINGATTN_FAULT");
  if (spec == nullptr || *spec == '\0') return;
  const comm::FaultPlan plan = comm::parse_fault_spec(spec);
  RA_CHECK(UsageError, plan.rank < b.sp->size(), "RINGATTN_FAULT = '", spec, "': rank ", plan.rank,
           " is not a rank of the ring (", b.sp->size(), " ranks)");
  b.sp = std::make_unique<comm::FaultInjectingCommunicator>(std::move(b.sp), plan);
}

}  // namespace

BackendOptions backend_options(const config::RunConfig& c) {
  BackendOptions o;
  switch (c.attention().backend()) {
    case config::BACKEND_CPU: o.kernels = Kernels::kCpu; break;
    case config::BACKEND_SIMT: o.kernels = Kernels::kSimt; break;
    case config::BACKEND_CUDA: o.kernels = Kernels::kCuda; break;
    default: throw InternalError("attention.backend was not resolved");
  }
  o.transport = c.comm().backend() == config::COMM_BACKEND_NCCL ? Transport::kNccl : Transport::kMpi;
  o.sp = static_cast<int>(c.parallel().sp());
  o.threads = static_cast<int>(c.attention().threads());
  const config::Tiles& t = c.attention().tiles();
  o.forward_tiles = {t.forward_q(), t.forward_k()};
  o.backward_tiles = {t.backward_q(), t.backward_k()};
  o.precision = c.attention().precision() == config::PRECISION_EXACT ? kernels::cuda::MmaPrecision::kExact
                                                                     : kernels::cuda::MmaPrecision::kFast;
  return o;
}

const char* kernels_name(Kernels k) {
  switch (k) {
    case Kernels::kCpu: return "cpu";
    case Kernels::kSimt: return "simt";
    case Kernels::kCuda: return "cuda";
  }
  return "?";
}

Kernels parse_kernels(std::string_view name) {
  for (Kernels k : {Kernels::kCpu, Kernels::kSimt, Kernels::kCuda})
    if (name == kernels_name(k)) return k;
  throw UsageError("backend '" + std::string(name) + "' is not one of cpu, simt, cuda");
}

KernelTiles kernel_tiles(const BackendOptions& o) {
  if (o.kernels != Kernels::kCpu) return {};
  const kernels::cpu::CpuAttentionOptions defaults;
  const kernels::cpu::TileSizes f = tiles_or(o.forward_tiles, defaults.forward);
  const kernels::cpu::TileSizes b = tiles_or(o.backward_tiles, defaults.backward);
  return {{f.q_rows, f.k_cols}, {b.q_rows, b.k_cols}};
}

std::unique_ptr<kernels::AttentionBlockOp> make_block_op(const BackendOptions& o) {
  switch (o.kernels) {
    case Kernels::kCpu: {
      kernels::cpu::CpuAttentionOptions k;
      k.threads = o.threads;
      k.forward = tiles_or(o.forward_tiles, k.forward);
      k.backward = tiles_or(o.backward_tiles, k.backward);
      // attention.precision means the same on every backend: P and dS rounded to the
      // 16-bit storage type for their products (fast) or not (exact).
      k.precision = o.precision == kernels::cuda::MmaPrecision::kExact ? kernels::cpu::ProductPrecision::kExact
                                                                       : kernels::cpu::ProductPrecision::kFast;
      return std::make_unique<kernels::cpu::CpuAttention>(k);
    }
    case Kernels::kSimt: return make_simt_block_op(o.precision);
    case Kernels::kCuda: break;
  }
  throw UsageError(
      "attention.backend = cuda: the block operation alone reads host memory here (kernel-bench); on a GPU use "
      "`ringattn selftest`, or `ringattn bench` with the cuda backend");
}

Accelerator make_accelerator(const BackendOptions& o, int ordinal) {
  Accelerator a;
  if (o.kernels == Kernels::kCuda) {
    a.device = cuda_parts::make_device(ordinal);  // first: says why there is no GPU
    a.stream = a.device->create_stream("accelerator");
    a.op = cuda_parts::make_block_op(*a.stream, o.precision);
    a.description = "CUDA device " + std::to_string(ordinal);
    return a;
  }
  a.device = std::make_unique<device::cpu::CpuDevice>();
  a.stream = a.device->create_stream("accelerator");
  a.op = make_block_op(o);
  a.description = o.kernels == Kernels::kSimt ? "the CUDA kernels under the SIMT emulator (host memory)"
                                              : "the CPU kernels (host memory)";
  return a;
}

config::CudaSupport planning_support() { return config::CudaSupport::kBuilt; }

config::CudaSupport cuda_support() {
  return cuda_parts::built() ? config::CudaSupport::kBuilt : config::CudaSupport::kNotBuilt;
}

std::unique_ptr<ring::Backend> make_backend(comm::Communicator& world, const BackendOptions& o) {
  const int sp = o.sp > 0 ? o.sp : world.size();
  RA_CHECK(UsageError, world.size() % sp == 0, "parallel.sp = ", sp, " does not divide the ", world.size(), " ranks");
  RA_CHECK(UsageError, o.transport == Transport::kMpi || o.kernels == Kernels::kCuda,
           "comm.backend = nccl needs attention.backend = cuda");
  auto b = std::make_unique<ring::Backend>();
  b->name = kernels_name(o.kernels);
  startup::stage("creating the ring's communicators (MPI_Comm_split; NCCL: ncclCommInitRank)");
  // Rings are consecutive ranks (ring g = ranks g·sp … g·sp + sp − 1): on one node they
  // share memory, and a job's data-parallel groups are the same ring position.
  std::unique_ptr<comm::Communicator> sp_comm = world.split(world.rank() / sp, world.rank() % sp);
  std::unique_ptr<comm::Communicator> dp_comm = world.split(world.rank() % sp, world.rank() / sp);
  if (o.kernels == Kernels::kCuda) {
    cuda_parts::complete_backend(world, o, std::move(sp_comm), std::move(dp_comm), *b);
    plant_fault(*b);
    startup::disarm();  // the job has started: every later wait has comm.timeout
    return b;
  }
  b->op = make_block_op(o);
  b->sp = std::move(sp_comm);
  b->dp = std::move(dp_comm);
  plant_fault(*b);
  // Outside the planted fault, as a real link's corruption would be: every host block the
  // ring receives is checked against its sender's crc32 (comm/checksummed_communicator.h).
  b->sp = std::make_unique<comm::ChecksummedCommunicator>(std::move(b->sp));
  auto dev = std::make_unique<device::cpu::CpuDevice>();
  if (o.observer != nullptr) dev->set_observer(o.observer);  // before the streams: they report to it
  b->compute = dev->create_stream("compute");
  b->comm_stream = dev->create_stream("comm");
  b->device = std::move(dev);
  startup::disarm();  // the job has started: every later wait has comm.timeout
  return b;
}

std::unique_ptr<model::DeviceModelParts> make_device_model_parts(const BackendOptions& o, ring::Backend& b) {
  switch (o.kernels) {
    case Kernels::kCpu: return nullptr;
    case Kernels::kCuda: return cuda_parts::make_device_model_parts(b, o.transport);
    case Kernels::kSimt: break;
  }
  auto parts = std::make_unique<model::DeviceModelParts>();
  parts->kernels = &kernels::cuda::simt_model_kernels();
  parts->stream = b.device->create_stream("model");
  // The emulator's model runs on host memory: the CPU executor of cuBLAS's semantics,
  // called from inside the model stream's work.
  parts->gemm = std::make_unique<gemm::HostColumnMajorGemm>();
  parts->reduce_stream = b.device->create_host_stream("grad reduce");  // the MPI communicators'
  return parts;
}

}  // namespace ra::backend

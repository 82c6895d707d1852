#include "runtime/backend/cuda_parts.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "comm/collectives.h"
#include "comm/mpi/mpi_communicator.h"
#include "comm/nccl/nccl_communicator.h"
#include "comm/staged/cuda_stager.h"
#include "comm/staged/staged_communicator.h"
#include "kernels/cuda/blas/cublas_gemm.h"
#include "kernels/cuda/model/model_dispatch.h"
#include "kernels/cuda/op/cuda_attention.h"
#include "runtime/backend/gpu_placement.h"
#include "runtime/core/check.h"
#include "runtime/device/cuda/cuda_device.h"

namespace ra::backend::cuda_parts {
namespace {

comm::mpi::MpiCommunicator& as_mpi(comm::Communicator& c) {
  auto* mpi = dynamic_cast<comm::mpi::MpiCommunicator*>(&c);
  RA_CHECK(InternalError, mpi != nullptr, "the host communicator of the cuda backend is not MPI");
  return *mpi;
}

}  // namespace

bool built() { return true; }

std::unique_ptr<device::Device> make_device(int ordinal) {
  device::cuda::CudaDeviceOptions o;
  o.ordinal = ordinal;
  return std::make_unique<device::cuda::CudaDevice>(o);
}

std::unique_ptr<kernels::AttentionBlockOp> make_block_op(device::Stream& stream,
                                                         kernels::cuda::MmaPrecision precision) {
  kernels::cuda::CudaAttentionOptions o;
  o.stream = stream.native_handle();
  o.precision = precision;
  return std::make_unique<kernels::cuda::CudaAttention>(kernels::cuda::nvcc_attention_kernels(), o);
}

void complete_backend(comm::Communicator& world, const BackendOptions& o, std::unique_ptr<comm::Communicator> sp_host,
                      std::unique_ptr<comm::Communicator> dp_host, ring::Backend& b) {
  const comm::NodeLocal local = comm::node_local_rank(world);
  const std::string& host = local.host;
  // Every rank decides, then all agree: a rank that cannot place itself must not leave
  // the others waiting in the NCCL bootstrap below.
  std::string why;
  int ordinal = 0;
  std::string gpu_id;
  try {
    ordinal = choose_gpu(local.local_rank, local.local_size, device::cuda::visible_device_count(), o.transport, host);
    gpu_id = host + "/" + device::cuda::device_uuid(ordinal);
  } catch (const Error& e) {
    why = e.what();
  }
  const std::vector<std::string> verdicts = comm::all_gather_strings(world, why);
  for (std::size_t r = 0; r < verdicts.size(); ++r) {
    if (!verdicts[r].empty()) throw UsageError("rank " + std::to_string(r) + ": " + verdicts[r]);
  }
  // The same list on every rank, so every rank reaches the same verdict.
  check_gpu_sharing(comm::all_gather_strings(world, gpu_id), world.rank(), o.transport);

  device::cuda::CudaDeviceOptions dev_options;
  dev_options.ordinal = ordinal;
  // Host waits give the communicator's own deadline (which names the hop and peer) the
  // first word; the device's backstop comes a minute later.
  dev_options.sync_timeout =
      std::max<std::chrono::milliseconds>(dev_options.sync_timeout, world.options().timeout + std::chrono::minutes(1));
  auto dev = std::make_unique<device::cuda::CudaDevice>(dev_options);
  if (o.observer != nullptr) dev->set_observer(o.observer);  // host-worker streams report spans
  b.compute = dev->create_stream("compute");
  b.op = make_block_op(*b.compute, o.precision);

  if (o.transport == Transport::kNccl) {
    // NCCL: exchanges are grouped send/recv on a CUDA comm stream; communicators of the
    // same groups, bootstrapped over the host ones (kept).
    b.comm_stream = dev->create_stream("comm");
    b.sp = std::make_unique<comm::nccl::NcclCommunicator>(as_mpi(*sp_host).bootstrap_handle(), world.options(), *dev);
    b.dp = std::make_unique<comm::nccl::NcclCommunicator>(as_mpi(*dp_host).bootstrap_handle(), world.options(), *dev);
    b.bootstrap.push_back(std::move(sp_host));
    b.bootstrap.push_back(std::move(dp_host));
  } else {
    // MPI: each hop copies device → pinned host, exchanges, copies back, on a host-worker
    // comm stream, so the host can block in MPI while the GPU computes the previous block
    // (docs/design.md §3, §4).
    b.comm_stream = dev->create_host_stream("comm");
    auto stager = std::make_shared<comm::staged::CudaStager>(*dev);
    b.sp = std::make_unique<comm::staged::StagedCommunicator>(std::move(sp_host), stager);
    b.dp = std::make_unique<comm::staged::StagedCommunicator>(std::move(dp_host), stager);
  }
  b.device = std::move(dev);
}

std::unique_ptr<model::DeviceModelParts> make_device_model_parts(ring::Backend& b, Transport transport) {
  auto parts = std::make_unique<model::DeviceModelParts>();
  parts->kernels = &kernels::cuda::nvcc_model_kernels();
  parts->stream = b.device->create_stream("model");
  // On the device the ring's CudaDevice made current (this thread's).
  parts->gemm = std::make_unique<kernels::cuda::CublasGemm>(parts->stream->native_handle());
  // NCCL enqueues its all-reduces on a CUDA stream; the staged MPI transport runs them
  // (copies and MPI) on a host thread, like the ring's comm stream.
  parts->reduce_stream = transport == Transport::kNccl ? b.device->create_stream("grad reduce")
                                                       : b.device->create_host_stream("grad reduce");
  return parts;
}

}  // namespace ra::backend::cuda_parts

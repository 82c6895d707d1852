// Links the CUDA device, the NCCL communicator and the staged transport (host-worker
// stream, cross-kind events, CUDA stager over MPI) into an executable without running
// any: main only takes the address of a function that would construct them, so the
// linker must resolve every symbol they use (constructors, vtables, CUDA, NCCL, MPI).
#include <mpi.h>

#include <memory>

#include "comm/mpi/mpi_communicator.h"
#include "comm/nccl/nccl_communicator.h"
#include "comm/staged/cuda_stager.h"
#include "comm/staged/staged_communicator.h"
#include "runtime/device/cuda/cuda_device.h"

namespace {

void construct_both(MPI_Comm world) {
  ra::device::cuda::CudaDevice device;
  ra::comm::nccl::NcclCommunicator comm(world, ra::comm::CommOptions{}, device);
  auto stream = device.create_stream("probe");
  auto buffer = device.allocate(64);
  device.add_f32(buffer->view(ra::DType::kF32, ra::Shape{16}), buffer->view(ra::DType::kF32, ra::Shape{16}), *stream);
  comm.barrier();
}

// The staged transport as the composition root would wire it: compute on a CUDA stream,
// exchanges on a host-worker stream, events both ways.
void construct_staged(MPI_Comm world) {
  ra::device::cuda::CudaDevice device;
  auto compute = device.create_stream("compute");
  auto comm_stream = device.create_host_stream("comm");
  auto ready = device.create_event();
  auto arrived = device.create_event();
  ra::comm::staged::StagedCommunicator comm(
      std::make_unique<ra::comm::mpi::MpiCommunicator>(world, ra::comm::CommOptions{}),
      std::make_shared<ra::comm::staged::CudaStager>(device));
  auto send = device.allocate(64);
  auto recv = device.allocate(64);
  compute->record(*ready);
  comm_stream->wait(*ready);
  comm.exchange({send->view(ra::DType::kF32, ra::Shape{16}), 1, recv->view(ra::DType::kF32, ra::Shape{16}), 1,
                 ra::comm::CommTag{"fwd kv", 1, 1}},
                *comm_stream);
  comm_stream->record(*arrived);
  compute->wait(*arrived);
  arrived->synchronize();
  comm_stream->synchronize();
}

}  // namespace

int main() {
  void (*volatile probe)(MPI_Comm) = &construct_both;
  void (*volatile staged)(MPI_Comm) = &construct_staged;
  return probe == nullptr || staged == nullptr ? 1 : 0;
}

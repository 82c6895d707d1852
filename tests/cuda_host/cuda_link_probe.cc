// Links the CUDA device and the NCCL communicator into an executable without running
// either: main only takes the address of a function that would construct them, so the
// linker must resolve every symbol they use (constructors, vtables, CUDA, NCCL, MPI).
#include <mpi.h>

#include <memory>

#include "comm/nccl/nccl_communicator.h"
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

}  // namespace

int main() {
  void (*volatile probe)(MPI_Comm) = &construct_both;
  return probe == nullptr ? 1 : 0;
}

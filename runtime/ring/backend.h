// What a ring runs on: a device with its compute and communication streams, the
// attention block operation, and this rank's communicators. Built once per command by
// the composition root (runtime/backend/backend.h) from the resolved config; everything
// above the ring (bench, train, the attention tool) takes a Backend and never names a
// concrete device, kernel or transport.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "kernels/attention_op.h"
#include "runtime/device/device.h"
#include "runtime/ring/ring_attention.h"

namespace ra::ring {

struct Backend {
  std::string name;  // "cpu", "simt", "cuda": for records and messages
  // Members are destroyed in reverse order: communicators, then the op, then the
  // streams (which drain their queues), then the device that made them.
  std::unique_ptr<device::Device> device;
  std::unique_ptr<device::Stream> compute, comm_stream;
  std::unique_ptr<kernels::AttentionBlockOp> op;
  // Host communicators the device transports were bootstrapped over (NCCL), kept for
  // as long as those live.
  std::vector<std::unique_ptr<comm::Communicator>> bootstrap;
  // This rank's ring (sp consecutive ranks of the world) and its data-parallel peers
  // (the ranks at the same ring position in the other rings).
  std::unique_ptr<comm::Communicator> sp, dp;

  RingContext context() const { return {*device, *compute, *comm_stream, *sp, *op}; }
};

// Builds a Backend whose streams report to `observer` (may be null). Collective over the
// world it was made for: a library that owns its observer (the trainer's span totals)
// takes one of these from the composition root instead of a finished Backend.
using BackendFactory = std::function<std::unique_ptr<Backend>(device::StreamObserver* observer)>;

}  // namespace ra::ring

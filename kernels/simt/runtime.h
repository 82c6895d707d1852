// The SIMT emulator's runtime: runs the blocks of a grid one after another, each thread of
// a block as a cooperative fiber (tests/simt/fiber.h). Between barriers the threads run in
// launch order or — ThreadOrder::kShuffled — in a seeded random order, so a missing
// __syncthreads shows up as a wrong result. A barrier or warp collective that not every
// thread reaches (a thread exits, or waits at another one) is reported as divergence
// naming the threads and source lines, instead of hanging. Launch limits are checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace ra::simt {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

inline constexpr int kWarpSize = 32;

class SimtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ThreadOrder : std::uint8_t { kInOrder, kShuffled };

struct DeviceLimits {
  unsigned max_threads_per_block = 1024;
  // Per block (static + dynamic), with the opt-in the kernels request
  // (RA_ALLOW_DYNAMIC_SHARED): A100 (sm_80), the smallest device we build for. H100: 227 KiB.
  std::size_t max_shared_bytes = 163 * 1024;
};

struct EmulatorOptions {
  ThreadOrder order = ThreadOrder::kShuffled;
  std::uint64_t seed = 1;
  DeviceLimits limits;
  std::size_t fiber_stack_bytes = 128 * 1024;
};

// Options for launches on this thread from now on (tests set them).
void set_options(const EmulatorOptions& options);
const EmulatorOptions& options();

struct LaunchShape {
  Dim3 grid, block;
  std::size_t dynamic_shared_bytes = 0;
};

// Runs `thread_body` once per thread of every block. Throws SimtError on a launch-limit
// violation, barrier divergence, an out-of-bounds shared access, or an exception in a thread.
void launch(const LaunchShape& shape, const std::function<void()>& thread_body);

// --- for the CUDA built-ins of simt_api.h: valid inside a launch only ---

struct Site {
  const char* file;
  int line;
};

struct ThreadContext {
  Dim3 thread_idx, block_idx, block_dim, grid_dim;
  unsigned linear = 0;  // thread index within the block
};

const ThreadContext& current();
void syncthreads(Site site);
void syncwarp(Site site, unsigned mask);

enum class WarpOpKind : std::uint8_t { kShuffleIndex, kShuffleXor, kShuffleUp, kShuffleDown, kBallot, kAny, kAll };
// One warp collective: every lane of `mask` posts `value` (and its source-lane argument);
// returns this lane's result once all of them arrived.
std::uint64_t warp_op(Site site, WarpOpKind kind, unsigned mask, std::uint64_t value, int arg, int width);

// Dynamic shared memory of the running block (128-byte aligned; a write past its end is
// reported when the block finishes), and its size.
unsigned char* dynamic_shared_base();
std::size_t dynamic_shared_bytes();

// "thread (3,0,0) of block (1,0,0)" for messages.
std::string where_am_i();

}  // namespace ra::simt

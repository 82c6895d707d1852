#include "kernels/simt/runtime.h"

#include <algorithm>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

#include "kernels/simt/fiber.h"

namespace ra::simt {
namespace {

enum class State : std::uint8_t { kRunnable, kAtBarrier, kAtWarpOp, kDone };

struct WarpPost {
  Site site{};
  WarpOpKind kind = WarpOpKind::kBallot;
  unsigned mask = 0;
  std::uint64_t value = 0, result = 0;
  int arg = 0, width = kWarpSize;
  bool sync_only = false;  // __syncwarp
};

struct ThreadSlot {
  ThreadContext ctx;
  State state = State::kRunnable;
  Site barrier{};
  WarpPost post;
};

std::string dims(const Dim3& d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

std::string site_text(const Site& s) { return std::string(s.file) + ":" + std::to_string(s.line); }

bool same_site(const Site& a, const Site& b) { return a.line == b.line && std::string_view(a.file) == b.file; }

// The block's dynamic shared memory: a 128-byte aligned base (what nvcc guarantees for
// extern __shared__ arrays declared __align__(128)) followed by a guard region whose
// pattern is checked after every block, so a write past the end is reported.
class DynamicShared {
 public:
  static constexpr std::size_t kAlign = 128, kGuardBytes = 4096;
  static constexpr unsigned char kGarbage = 0xA5, kGuard = 0x5C;

  explicit DynamicShared(std::size_t bytes) : storage_(bytes + kAlign + kGuardBytes), bytes_(bytes) {
    const auto addr = reinterpret_cast<std::uintptr_t>(storage_.data());
    base_ = storage_.data() + (kAlign - addr % kAlign) % kAlign;
  }
  unsigned char* base() const { return base_; }
  std::size_t bytes() const { return bytes_; }

  // Shared memory starts with garbage, as on a GPU: a kernel that reads before it
  // writes sees the previous block's data (or this pattern), never silent zeros.
  void fill_for_block() {
    std::fill(base_, base_ + bytes_, kGarbage);
    std::fill(base_ + bytes_, base_ + bytes_ + kGuardBytes, kGuard);
  }
  // Offset of the first guard byte a kernel overwrote, or -1.
  std::ptrdiff_t guard_damage() const {
    const unsigned char* g = base_ + bytes_;
    for (std::size_t i = 0; i < kGuardBytes; ++i)
      if (g[i] != kGuard) return static_cast<std::ptrdiff_t>(i);
    return -1;
  }

 private:
  std::vector<unsigned char> storage_;
  unsigned char* base_;
  std::size_t bytes_;
};

class BlockRun;
thread_local BlockRun* g_block = nullptr;
thread_local unsigned g_thread = 0;
thread_local EmulatorOptions g_options;

// The fibers of one block and the rules that release them from barriers.
class BlockRun {
 public:
  BlockRun(std::vector<std::unique_ptr<Fiber>>& fibers, const LaunchShape& shape, Dim3 block_idx,
           DynamicShared& dynamic_shared, std::mt19937_64& rng)
      : fibers_(fibers), dynamic_shared_(dynamic_shared), rng_(rng) {
    const unsigned n = shape.block.x * shape.block.y * shape.block.z;
    slots_.resize(n);
    for (unsigned t = 0; t < n; ++t) {
      ThreadContext& c = slots_[t].ctx;
      c.linear = t;
      c.thread_idx = {t % shape.block.x, (t / shape.block.x) % shape.block.y, t / (shape.block.x * shape.block.y)};
      c.block_idx = block_idx;
      c.block_dim = shape.block;
      c.grid_dim = shape.grid;
    }
  }

  // In order: every thread runs to its next yield, round after round. Shuffled: one
  // random runnable thread at a time, and a warp collective is released the moment its
  // last lane arrives — so warps drift apart between block barriers as they may on a
  // GPU, and data another warp has not written yet (a missing __syncthreads) is read.
  void run(const std::function<void()>& body) {
    const auto n = static_cast<unsigned>(slots_.size());
    for (unsigned t = 0; t < n; ++t) fibers_[t]->reset(body);
    if (g_options.order == ThreadOrder::kInOrder) {
      for (;;) {
        for (unsigned t = 0; t < n; ++t) {
          if (slots_[t].state == State::kRunnable) step(t);
        }
        if (!release_warps() && !release_barrier()) return;  // every thread done
      }
    }
    std::vector<unsigned> runnable;
    runnable.reserve(n);
    for (;;) {
      runnable.clear();
      for (unsigned t = 0; t < n; ++t) {
        if (slots_[t].state == State::kRunnable) runnable.push_back(t);
      }
      if (runnable.empty()) {
        if (!release_warps() && !release_barrier()) return;  // every thread done
        continue;
      }
      const unsigned t = runnable[static_cast<std::size_t>(rng_() % runnable.size())];
      step(t);
      if (slots_[t].state == State::kAtWarpOp) try_release_warp(t / kWarpSize * kWarpSize);
    }
  }

  ThreadSlot& slot(unsigned t) { return slots_[t]; }

  // Runs thread t until it yields or finishes; a thread's exception ends the launch.
  void step(unsigned t) {
    g_thread = t;
    fibers_[t]->resume();
    if (!fibers_[t]->finished()) return;
    slots_[t].state = State::kDone;
    if (auto e = fibers_[t]->failure()) {
      try {
        std::rethrow_exception(e);
      } catch (const SimtError&) {
        throw;
      } catch (const std::exception& ex) {
        throw SimtError("simt: " + thread_name(t) + " threw: " + ex.what());
      }
    }
  }
  Fiber& fiber(unsigned t) { return *fibers_[t]; }
  DynamicShared& dynamic_shared() { return dynamic_shared_; }

  std::string thread_name(unsigned t) const {
    return "thread " + dims(slots_[t].ctx.thread_idx) + " of block " + dims(slots_[t].ctx.block_idx);
  }

 private:
  // Resolves the warp collective of the warp starting at w0 if every lane of its mask has
  // arrived at it; otherwise leaves it (divergence is judged once no thread can run).
  void try_release_warp(unsigned w0) {
    const unsigned w1 = std::min(static_cast<unsigned>(slots_.size()), w0 + kWarpSize);
    int first = -1;
    for (unsigned t = w0; t < w1 && first < 0; ++t) {
      if (slots_[t].state == State::kAtWarpOp) first = static_cast<int>(t);
    }
    if (first < 0) return;
    const WarpPost& lead = slots_[static_cast<unsigned>(first)].post;
    for (unsigned t = w0; t < w1; ++t) {
      if (((lead.mask >> (t - w0)) & 1u) == 0) continue;
      if (slots_[t].state != State::kAtWarpOp || !same_site(slots_[t].post.site, lead.site)) return;
    }
    resolve(w0, w1, lead);
  }

  // Warp collectives whose lanes have all arrived are resolved; true when any was.
  bool release_warps() {
    bool any = false;
    const auto n = static_cast<unsigned>(slots_.size());
    for (unsigned w0 = 0; w0 < n; w0 += kWarpSize) {
      const unsigned w1 = std::min(n, w0 + kWarpSize);
      int first = -1;
      for (unsigned t = w0; t < w1; ++t) {
        if (slots_[t].state == State::kAtWarpOp) {
          first = static_cast<int>(t);
          break;
        }
      }
      if (first < 0) continue;
      const WarpPost& lead = slots_[static_cast<unsigned>(first)].post;
      for (unsigned t = w0; t < w1; ++t) {
        const unsigned lane = t - w0;
        if (((lead.mask >> lane) & 1u) == 0) continue;
        const ThreadSlot& s = slots_[t];
        if (s.state == State::kAtWarpOp && same_site(s.post.site, lead.site)) continue;
        throw SimtError("simt: warp divergence: " + thread_name(static_cast<unsigned>(first)) +
                        " waits at the warp collective at " + site_text(lead.site) + " but lane " +
                        std::to_string(lane) + " (" + thread_name(t) + ") " +
                        (s.state == State::kDone        ? "has exited"
                         : s.state == State::kAtBarrier ? "waits at __syncthreads at " + site_text(s.barrier)
                                                        : "waits at " + site_text(s.post.site)));
      }
      resolve(w0, w1, lead);
      any = true;
    }
    return any;
  }

  void resolve(unsigned w0, unsigned w1, const WarpPost& lead) {
    std::uint64_t ballot = 0;
    for (unsigned t = w0; t < w1; ++t) {
      if ((lead.mask >> (t - w0)) & 1u) ballot |= (slots_[t].post.value != 0 ? 1ull : 0ull) << (t - w0);
    }
    for (unsigned t = w0; t < w1; ++t) {
      const unsigned lane = t - w0;
      if (((lead.mask >> lane) & 1u) == 0) continue;
      WarpPost& p = slots_[t].post;
      const int width = p.width;
      const int base = static_cast<int>(lane) / width * width;
      int src = static_cast<int>(lane);
      switch (p.kind) {
        case WarpOpKind::kShuffleIndex: src = base + ((p.arg % width) + width) % width; break;
        case WarpOpKind::kShuffleXor: src = static_cast<int>(lane) ^ p.arg; break;
        case WarpOpKind::kShuffleUp:
          src = static_cast<int>(lane) - p.arg < base ? static_cast<int>(lane) : static_cast<int>(lane) - p.arg;
          break;
        case WarpOpKind::kShuffleDown:
          src =
              static_cast<int>(lane) + p.arg >= base + width ? static_cast<int>(lane) : static_cast<int>(lane) + p.arg;
          break;
        default: break;
      }
      switch (p.kind) {
        case WarpOpKind::kBallot: p.result = ballot; break;
        case WarpOpKind::kAny: p.result = ballot != 0 ? 1 : 0; break;
        case WarpOpKind::kAll: {
          std::uint64_t want = 0;
          for (unsigned l = 0; l < w1 - w0; ++l) want |= ((lead.mask >> l) & 1u) ? (1ull << l) : 0;
          p.result = ballot == want ? 1 : 0;
          break;
        }
        default: {
          const auto s = static_cast<unsigned>(src);
          if (s >= w1 - w0 || ((lead.mask >> s) & 1u) == 0) {
            throw SimtError("simt: " + thread_name(t) + " shuffles from lane " + std::to_string(src) +
                            ", which is not in the mask at " + site_text(p.site));
          }
          p.result = slots_[w0 + s].post.value;
        }
      }
    }
    for (unsigned t = w0; t < w1; ++t) {
      if ((lead.mask >> (t - w0)) & 1u) slots_[t].state = State::kRunnable;
    }
  }

  // All threads at one __syncthreads are released; true when they were. Divergence throws.
  bool release_barrier() {
    int waiting = -1;
    for (unsigned t = 0; t < slots_.size(); ++t) {
      if (slots_[t].state == State::kAtBarrier) {
        waiting = static_cast<int>(t);
        break;
      }
    }
    if (waiting < 0) return false;
    const Site site = slots_[static_cast<unsigned>(waiting)].barrier;
    for (unsigned t = 0; t < slots_.size(); ++t) {
      const ThreadSlot& s = slots_[t];
      if (s.state == State::kAtBarrier && same_site(s.barrier, site)) continue;
      throw SimtError("simt: barrier divergence: " + thread_name(static_cast<unsigned>(waiting)) +
                      " waits at __syncthreads at " + site_text(site) + " but " + thread_name(t) +
                      (s.state == State::kDone ? " has exited" : " waits at __syncthreads at " + site_text(s.barrier)));
    }
    for (ThreadSlot& s : slots_) s.state = State::kRunnable;
    return true;
  }

  std::vector<std::unique_ptr<Fiber>>& fibers_;
  std::vector<ThreadSlot> slots_;
  DynamicShared& dynamic_shared_;
  std::mt19937_64& rng_;
};

BlockRun& block() {
  if (g_block == nullptr) throw SimtError("simt: a CUDA built-in was used outside a kernel launch");
  return *g_block;
}

}  // namespace

void set_options(const EmulatorOptions& options) { g_options = options; }
const EmulatorOptions& options() { return g_options; }

void launch(const LaunchShape& shape, const std::function<void()>& thread_body) {
  const DeviceLimits& lim = g_options.limits;
  const unsigned threads = shape.block.x * shape.block.y * shape.block.z;
  if (threads == 0 || shape.grid.x * shape.grid.y * shape.grid.z == 0) throw SimtError("simt: empty grid or block");
  if (threads > lim.max_threads_per_block) {
    throw SimtError("simt: launch of " + std::to_string(threads) + " threads per block exceeds the device limit of " +
                    std::to_string(lim.max_threads_per_block));
  }
  if (shape.dynamic_shared_bytes > lim.max_shared_bytes) {
    throw SimtError("simt: launch with " + std::to_string(shape.dynamic_shared_bytes) +
                    " bytes of dynamic shared memory exceeds the device limit of " +
                    std::to_string(lim.max_shared_bytes));
  }
  if (g_block != nullptr) throw SimtError("simt: kernel launch from inside a kernel");
  std::vector<std::unique_ptr<Fiber>> fibers;
  for (unsigned t = 0; t < threads; ++t) fibers.push_back(std::make_unique<Fiber>(g_options.fiber_stack_bytes));
  DynamicShared dynamic_shared(shape.dynamic_shared_bytes);
  std::mt19937_64 rng(g_options.seed);
  for (unsigned z = 0; z < shape.grid.z; ++z) {
    for (unsigned y = 0; y < shape.grid.y; ++y) {
      for (unsigned x = 0; x < shape.grid.x; ++x) {
        dynamic_shared.fill_for_block();
        BlockRun run(fibers, shape, {x, y, z}, dynamic_shared, rng);
        g_block = &run;
        try {
          run.run(thread_body);
        } catch (...) {
          g_block = nullptr;
          throw;
        }
        g_block = nullptr;
        if (const std::ptrdiff_t at = dynamic_shared.guard_damage(); at >= 0) {
          throw SimtError("simt: block " + dims({x, y, z}) + " wrote past the end of its " +
                          std::to_string(dynamic_shared.bytes()) + " bytes of dynamic shared memory (byte " +
                          std::to_string(dynamic_shared.bytes() + static_cast<std::size_t>(at)) + ")");
        }
      }
    }
  }
}

const ThreadContext& current() { return block().slot(g_thread).ctx; }

void syncthreads(Site site) {
  BlockRun& b = block();
  const unsigned t = g_thread;
  b.slot(t).state = State::kAtBarrier;
  b.slot(t).barrier = site;
  b.fiber(t).yield();
}

std::uint64_t warp_op(Site site, WarpOpKind kind, unsigned mask, std::uint64_t value, int arg, int width) {
  BlockRun& b = block();
  const unsigned t = g_thread;
  const unsigned lane = t % kWarpSize;
  if (((mask >> lane) & 1u) == 0) {
    throw SimtError("simt: " + b.thread_name(t) + " calls a warp collective at " + site_text(site) +
                    " with a mask that excludes its own lane " + std::to_string(lane));
  }
  if (width <= 0 || width > kWarpSize || (width & (width - 1)) != 0) {
    throw SimtError("simt: shuffle width " + std::to_string(width) + " at " + site_text(site) +
                    " is not a power of two <= 32");
  }
  WarpPost& p = b.slot(t).post;
  p = WarpPost{site, kind, mask, value, 0, arg, width, false};
  b.slot(t).state = State::kAtWarpOp;
  b.fiber(t).yield();
  return p.result;
}

void syncwarp(Site site, unsigned mask) { warp_op(site, WarpOpKind::kBallot, mask, 0, 0, kWarpSize); }

unsigned char* dynamic_shared_base() { return block().dynamic_shared().base(); }
std::size_t dynamic_shared_bytes() { return block().dynamic_shared().bytes(); }

std::string where_am_i() { return block().thread_name(g_thread); }

}  // namespace ra::simt

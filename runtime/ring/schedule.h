// The ring schedule (docs/design.md §5), a pure function of what every rank holds.
//
// At step s rank r holds the KV block of rank (r - s) mod P: step 0 is its own block,
// and after each step every rank passes the block it holds to rank r + 1.
//
//   step:     0        1        2        3          (P = 4)
//   rank 0:  kv0  <-  kv3  <-  kv2  <-  kv1
//   rank 1:  kv1      kv0      kv3      kv2
//   rank 2:  kv2      kv1      kv0      kv3
//   rank 3:  kv3      kv2      kv1      kv0
//
// A step whose (query shard, KV block) pair has no visible key is skipped (no compute;
// the block is still passed on). The ring stops after `last_step`, the last step at
// which any rank still computes, so with a causal sliding window traffic and compute
// grow with the window, not with the sequence.
//
// Backward: KV circulates again and the fp32 dK/dV of each block travels with it,
// collecting every rank's contribution; after the last step the finished dK/dV of block
// (r - last_step) is sent straight back to its owner (rank r - last_step).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/numerics.h"

namespace ra::ring {

// Position/segment ranges of a shard, in up to `max_pieces` contiguous pieces (a zigzag
// shard is two distant chunks; one range would hide the gap between them).
struct ShardSummary {
  std::vector<numerics::TileSummary> pieces;
};

ShardSummary summarize_shard(const std::int32_t* pos, const std::int32_t* seg, std::int64_t n_elems,
                             int max_pieces = 64);

// True when some query of `q` may see some key of `k` under `rule`. Conservative: a
// piece that straddles a gap in positions (a zigzag chunk boundary, a striped shard) can
// keep a step whose pairs are all invisible — the kernel then skips its tiles — but a
// step with a visible pair is never skipped.
bool may_attend(const ShardSummary& q, const ShardSummary& k, const numerics::MaskRule& rule);

class RingSchedule {
 public:
  RingSchedule() = default;
  RingSchedule(int ranks, std::vector<std::uint8_t> table);  // table[rank * ranks + step]

  int ranks() const { return ranks_; }
  // Steps 0..last_step run; there are last_step KV hops per pass.
  int last_step() const { return last_step_; }
  bool computes(int rank, int step) const;
  // Rank whose KV block rank `rank` holds at `step`.
  int block_at(int rank, int step) const { return wrap(rank - step); }
  int next(int rank) const { return wrap(rank + 1); }
  int prev(int rank) const { return wrap(rank - 1); }
  // Backward: where rank r sends the finished dK/dV after the last step, and from whom
  // it receives its own (none when last_step == 0: its dK/dV never left).
  int dkv_owner_of_final(int rank) const { return wrap(rank - last_step_); }
  int dkv_final_from(int rank) const { return wrap(rank + last_step_); }
  // Number of steps at which `rank` computes.
  int compute_steps(int rank) const;

 private:
  int wrap(int r) const { return ((r % ranks_) + ranks_) % ranks_; }
  int ranks_ = 1;
  int last_step_ = 0;
  std::vector<std::uint8_t> computes_;  // [rank * ranks + step]
};

// q[r], k[r]: the summaries of rank r's query and key shards.
RingSchedule make_ring_schedule(const std::vector<ShardSummary>& q, const std::vector<ShardSummary>& k,
                                const numerics::MaskRule& rule);

// The traffic a schedule implies for one rank, in the order the executor issues it; the
// phases name the messages in errors, traces and the accounting tests.
enum class Pass : std::uint8_t { kForward, kBackward };

inline constexpr const char* kPhaseFwdKv = "fwd kv";
inline constexpr const char* kPhaseBwdKv = "bwd kv";
inline constexpr const char* kPhaseBwdDkv = "bwd dkv";
inline constexpr const char* kPhaseBwdDkvReturn = "bwd dkv return";

struct PlannedExchange {
  const char* phase;
  int step, hop;
  int send_to, recv_from;
  std::size_t send_bytes, recv_bytes;
};

// kv_bytes: one packed KV message; dkv_bytes: one fp32 dK/dV message.
std::vector<PlannedExchange> planned_exchanges(const RingSchedule& s, int rank, Pass pass, std::size_t kv_bytes,
                                               std::size_t dkv_bytes);

}  // namespace ra::ring

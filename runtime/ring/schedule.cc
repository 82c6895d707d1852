#include "runtime/ring/schedule.h"

#include <algorithm>

#include "runtime/core/check.h"

namespace ra::ring {

ShardSummary summarize_shard(const std::int32_t* pos, const std::int32_t* seg, std::int64_t n_elems, int max_pieces) {
  RA_CHECK_GE(InternalError, max_pieces, 1, "summarize_shard pieces");
  ShardSummary s;
  if (n_elems <= 0) return s;
  const std::int64_t piece_elems = (n_elems + max_pieces - 1) / max_pieces;
  for (std::int64_t b = 0; b < n_elems; b += piece_elems) {
    const auto len = static_cast<std::int32_t>(std::min(piece_elems, n_elems - b));
    s.pieces.push_back(numerics::summarize_tile(pos + b, seg + b, len));
  }
  return s;
}

bool may_attend(const ShardSummary& q, const ShardSummary& k, const numerics::MaskRule& rule) {
  for (const auto& qp : q.pieces) {
    for (const auto& kp : k.pieces) {
      if (numerics::classify_tile(rule, qp, kp) != numerics::TileClass::kEmpty) return true;
    }
  }
  return false;
}

RingSchedule::RingSchedule(int ranks, std::vector<std::uint8_t> table) : ranks_(ranks), computes_(std::move(table)) {
  RA_CHECK_GE(InternalError, ranks_, 1, "ring ranks");
  RA_CHECK_EQ(InternalError, computes_.size(), static_cast<std::size_t>(ranks_) * static_cast<std::size_t>(ranks_),
              "ring schedule table");
  for (int r = 0; r < ranks_; ++r) {
    for (int s = 0; s < ranks_; ++s) {
      if (computes(r, s)) last_step_ = std::max(last_step_, s);
    }
  }
}

bool RingSchedule::computes(int rank, int step) const {
  if (step < 0 || step >= ranks_) return false;
  return computes_[static_cast<std::size_t>(rank) * static_cast<std::size_t>(ranks_) +
                   static_cast<std::size_t>(step)] != 0;
}

int RingSchedule::compute_steps(int rank) const {
  int n = 0;
  for (int s = 0; s <= last_step_; ++s) n += computes(rank, s) ? 1 : 0;
  return n;
}

RingSchedule make_ring_schedule(const std::vector<ShardSummary>& q, const std::vector<ShardSummary>& k,
                                const numerics::MaskRule& rule) {
  const int p = static_cast<int>(q.size());
  RA_CHECK_EQ(InternalError, k.size(), q.size(), "query and key summaries per rank");
  std::vector<std::uint8_t> table(static_cast<std::size_t>(p) * static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) {
    for (int s = 0; s < p; ++s) {
      const int b = ((r - s) % p + p) % p;
      table[static_cast<std::size_t>(r * p + s)] =
          may_attend(q[static_cast<std::size_t>(r)], k[static_cast<std::size_t>(b)], rule) ? 1 : 0;
    }
  }
  return RingSchedule(p, std::move(table));
}

std::vector<PlannedExchange> planned_exchanges(const RingSchedule& s, int rank, Pass pass, std::size_t kv_bytes,
                                               std::size_t dkv_bytes) {
  std::vector<PlannedExchange> out;
  const int next = s.next(rank), prev = s.prev(rank);
  for (int step = 0; step < s.last_step(); ++step) {
    // The exchange that brings the block of step + 1 is posted at step `step`.
    out.push_back(
        {pass == Pass::kForward ? kPhaseFwdKv : kPhaseBwdKv, step + 1, step + 1, next, prev, kv_bytes, kv_bytes});
    if (pass == Pass::kBackward) out.push_back({kPhaseBwdDkv, step + 1, step + 1, next, prev, dkv_bytes, dkv_bytes});
  }
  if (pass == Pass::kBackward && s.last_step() > 0) {
    out.push_back({kPhaseBwdDkvReturn, s.last_step(), s.last_step() + 1, s.dkv_owner_of_final(rank),
                   s.dkv_final_from(rank), dkv_bytes, dkv_bytes});
  }
  return out;
}

}  // namespace ra::ring

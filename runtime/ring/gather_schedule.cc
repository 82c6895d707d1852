#include "runtime/ring/gather_schedule.h"

#include <algorithm>
#include <array>
#include <vector>

#include "runtime/core/check.h"

namespace ra::ring {
namespace {

constexpr int kMaxPieces = 64;
constexpr int kFields = 6;  // the int32 fields of a TileSummary

std::array<std::int32_t, kFields> pack(const numerics::TileSummary& t) {
  return {t.pos_min, t.pos_max, t.seg_min, t.seg_max, t.valid_elems, t.total_elems};
}
numerics::TileSummary unpack(const std::int32_t* f) {
  numerics::TileSummary t;
  t.pos_min = f[0];
  t.pos_max = f[1];
  t.seg_min = f[2];
  t.seg_max = f[3];
  t.valid_elems = f[4];
  t.total_elems = f[5];
  return t;
}

// All-gather of one summary per rank, as a sum: each rank fills its own row.
std::vector<ShardSummary> all_summaries(comm::Communicator& comm, const ShardSummary& mine) {
  const int p = comm.size();
  const auto pieces = static_cast<std::int64_t>(mine.pieces.size());
  std::vector<std::int32_t> table(static_cast<std::size_t>(p * pieces * kFields), 0);
  for (std::int64_t i = 0; i < pieces; ++i) {
    const auto f = pack(mine.pieces[static_cast<std::size_t>(i)]);
    std::copy(f.begin(), f.end(), table.begin() + (comm.rank() * pieces + i) * kFields);
  }
  comm.all_reduce(TensorView(table.data(), DType::kI32, Shape{p, pieces, kFields}), comm::ReduceOp::kSum);
  std::vector<ShardSummary> all(static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) {
    for (std::int64_t i = 0; i < pieces; ++i) {
      all[static_cast<std::size_t>(r)].pieces.push_back(unpack(&table[static_cast<std::size_t>((r * pieces + i) * kFields)]));
    }
  }
  return all;
}

}  // namespace

RingSchedule gather_schedule(comm::Communicator& comm, const kernels::TokenMeta& q, const kernels::TokenMeta& k,
                             std::int64_t n_elems, const numerics::MaskRule& rule) {
  // max(n) and max(-n) in one reduction: equal lengths iff max(n) == -max(-n).
  std::array<std::int32_t, 2> lens{static_cast<std::int32_t>(n_elems), static_cast<std::int32_t>(-n_elems)};
  comm.all_reduce(TensorView(lens.data(), DType::kI32, Shape{2}), comm::ReduceOp::kMax);
  RA_CHECK_EQ(UsageError, lens[0], -lens[1], "ring shards must have the same number of tokens on every rank ",
              "(longest vs shortest; shard the sequence with ra::layout)");
  auto summary = [&](const kernels::TokenMeta& m) {
    return summarize_shard(m.pos.data<std::int32_t>(), m.seg.data<std::int32_t>(), n_elems, kMaxPieces);
  };
  return make_ring_schedule(all_summaries(comm, summary(q)), all_summaries(comm, summary(k)), rule);
}

}  // namespace ra::ring

#include "runtime/ring/gather_schedule.h"

#include <algorithm>
#include <array>
#include <vector>

#include "runtime/core/check.h"

namespace ra::ring {
namespace {

constexpr int kMaxPieces = 64;
constexpr std::size_t kFields = 6;  // the int32 fields of a TileSummary

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

// Every rank's summary, in rank order. Equal lengths (checked before) give every rank
// the same number of pieces, so this is an equal-size all-gather.
std::vector<ShardSummary> all_summaries(comm::Communicator& comm, const ShardSummary& mine) {
  const auto p = static_cast<std::size_t>(comm.size());
  const std::size_t pieces = mine.pieces.size();
  std::vector<std::int32_t> packed, table(p * pieces * kFields);
  packed.reserve(pieces * kFields);
  for (const numerics::TileSummary& t : mine.pieces) {
    const auto f = pack(t);
    packed.insert(packed.end(), f.begin(), f.end());
  }
  const auto pieces_elems = static_cast<std::int64_t>(pieces);
  comm.all_gather(ConstTensorView(packed.data(), DType::kI32, Shape{pieces_elems, kFields}),
                  TensorView(table.data(), DType::kI32, Shape{comm.size(), pieces_elems, kFields}));
  std::vector<ShardSummary> all(p);
  for (std::size_t r = 0; r < p; ++r) {
    for (std::size_t i = 0; i < pieces; ++i) all[r].pieces.push_back(unpack(&table[(r * pieces + i) * kFields]));
  }
  return all;
}

}  // namespace

RingSchedule gather_schedule(comm::Communicator& comm, const kernels::TokenMeta& q, const kernels::TokenMeta& k,
                             std::int64_t n_elems, const numerics::MaskRule& rule) {
  // Every rank checks every rank's length, so all of them fail together (one line each).
  std::vector<std::int64_t> lens(static_cast<std::size_t>(comm.size()));
  comm.all_gather(ConstTensorView(&n_elems, DType::kU8, Shape{sizeof n_elems}),
                  TensorView(lens.data(), DType::kU8, Shape{static_cast<std::int64_t>(lens.size() * sizeof n_elems)}));
  const auto [shortest, longest] = std::minmax_element(lens.begin(), lens.end());
  RA_CHECK_EQ(UsageError, *longest, *shortest, "ring shards must have the same number of tokens on every rank ",
              "(longest vs shortest; shard the sequence with ra::layout)");
  auto summary = [&](const kernels::TokenMeta& m) {
    return summarize_shard(m.pos.data<std::int32_t>(), m.seg.data<std::int32_t>(), n_elems, kMaxPieces);
  };
  return make_ring_schedule(all_summaries(comm, summary(q)), all_summaries(comm, summary(k)), rule);
}

}  // namespace ra::ring

#include "runtime/layout/sharding.h"

#include <cstring>

#include "runtime/core/check.h"

namespace ra::layout {

std::string_view layout_name(Layout l) {
  switch (l) {
    case Layout::kContiguous: return "contiguous";
    case Layout::kZigzag: return "zigzag";
    case Layout::kStriped: return "striped";
  }
  return "?";
}

ShardPlan plan_shards(Layout layout, int ranks, std::int64_t seq_len) {
  RA_CHECK_GE(UsageError, ranks, 1, "number of ranks");
  RA_CHECK_GE(UsageError, seq_len, 1, "sequence length");
  ShardPlan p;
  p.layout = layout;
  p.ranks = ranks;
  p.seq_len = seq_len;
  const std::int64_t multiple = layout == Layout::kZigzag ? 2 * std::int64_t{ranks} : ranks;
  p.padded_len = (seq_len + multiple - 1) / multiple * multiple;
  p.shard_len = p.padded_len / ranks;
  return p;
}

std::int64_t global_index(const ShardPlan& p, int rank, std::int64_t local) {
  RA_CHECK(InternalError, rank >= 0 && rank < p.ranks, "rank ", rank, " of ", p.ranks);
  RA_CHECK(InternalError, local >= 0 && local < p.shard_len, "local token ", local, " of ", p.shard_len);
  switch (p.layout) {
    case Layout::kContiguous: return rank * p.shard_len + local;
    case Layout::kStriped: return local * p.ranks + rank;
    case Layout::kZigzag: {
      const std::int64_t chunk = p.shard_len / 2;
      return local < chunk ? rank * chunk + local : (2 * std::int64_t{p.ranks} - 1 - rank) * chunk + (local - chunk);
    }
  }
  throw InternalError("unknown layout");
}

namespace {

// Calls copy(local_row, global_row) for each real token of `rank`, pad(local_row) for padding.
template <typename Copy, typename Pad>
void for_each_row(const ShardPlan& p, int rank, Copy&& copy, Pad&& pad) {
  for (std::int64_t i = 0; i < p.shard_len; ++i) {
    const std::int64_t g = global_index(p, rank, i);
    if (g < p.seq_len) {
      copy(static_cast<std::size_t>(i), static_cast<std::size_t>(g));
    } else {
      pad(static_cast<std::size_t>(i));
    }
  }
}

}  // namespace

void shard_rows(const ShardPlan& p, int rank, const void* full, std::int64_t row_bytes, void* shard) {
  const auto* src = static_cast<const unsigned char*>(full);
  auto* dst = static_cast<unsigned char*>(shard);
  const auto rb = static_cast<std::size_t>(row_bytes);
  for_each_row(
      p, rank, [&](std::size_t i, std::size_t g) { std::memcpy(dst + i * rb, src + g * rb, rb); },
      [&](std::size_t i) { std::memset(dst + i * rb, 0, rb); });
}

void unshard_rows(const ShardPlan& p, int rank, const void* shard, std::int64_t row_bytes, void* full) {
  const auto* src = static_cast<const unsigned char*>(shard);
  auto* dst = static_cast<unsigned char*>(full);
  const auto rb = static_cast<std::size_t>(row_bytes);
  for_each_row(
      p, rank, [&](std::size_t i, std::size_t g) { std::memcpy(dst + g * rb, src + i * rb, rb); }, [](std::size_t) {});
}

void shard_meta(const ShardPlan& p, int rank, const std::int32_t* pos, const std::int32_t* seg, std::int32_t* pos_out,
                std::int32_t* seg_out) {
  for_each_row(
      p, rank,
      [&](std::size_t i, std::size_t g) {
        pos_out[i] = pos[g];
        seg_out[i] = seg[g];
      },
      [&](std::size_t i) {
        pos_out[i] = static_cast<std::int32_t>(global_index(p, rank, static_cast<std::int64_t>(i)));
        seg_out[i] = -1;
      });
}

}  // namespace ra::layout

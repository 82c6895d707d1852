// Sharding layouts of a sequence over P ranks (docs/design.md §5), as pure functions shared
// by the runtime and the tests. Any length is accepted: the sequence is padded to the
// layout's multiple with padding tokens (segment -1, exactly masked), never truncated.
//
//   contiguous  rank r holds tokens [r·n, (r+1)·n)                       (pad to P)
//   zigzag      2P chunks of c tokens; rank r holds chunks r and 2P-1-r   (pad to 2P)
//               — balances causal work: early and late chunks pair up
//   striped     rank r holds tokens r, r+P, r+2P, ...                     (pad to P)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace ra::layout {

enum class Layout : std::uint8_t { kContiguous, kZigzag, kStriped };

std::string_view layout_name(Layout l);

struct ShardPlan {
  Layout layout = Layout::kContiguous;
  int ranks = 1;
  std::int64_t seq_len = 0;     // real tokens
  std::int64_t padded_len = 0;  // seq_len rounded up to the layout's multiple
  std::int64_t shard_len = 0;   // tokens per rank (padded_len / ranks)

  std::int64_t padding_elems() const { return padded_len - seq_len; }
};

// Throws ra::UsageError for ranks < 1 or seq_len < 1.
ShardPlan plan_shards(Layout layout, int ranks, std::int64_t seq_len);

// Index in the padded sequence of local token `local` of `rank`; >= seq_len is padding.
std::int64_t global_index(const ShardPlan& plan, int rank, std::int64_t local);

// Rows of a [seq_len, row_bytes] array for one rank: real rows copied, padding rows zeroed.
void shard_rows(const ShardPlan& plan, int rank, const void* full, std::int64_t row_bytes, void* shard);
// The inverse: writes the rank's real rows back into [seq_len, row_bytes]; padding dropped.
void unshard_rows(const ShardPlan& plan, int rank, const void* shard, std::int64_t row_bytes, void* full);

// Token metadata of a shard. Real tokens keep their position and segment; padding tokens
// get segment -1 and position = their padded global index (positions never repeat).
void shard_meta(const ShardPlan& plan, int rank, const std::int32_t* pos, const std::int32_t* seg,
                std::int32_t* pos_out, std::int32_t* seg_out);

}  // namespace ra::layout

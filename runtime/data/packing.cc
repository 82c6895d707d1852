#include "runtime/data/packing.h"

#include <algorithm>
#include <random>

#include "runtime/core/check.h"

namespace ra::data {

PackedCorpus::PackedCorpus(Documents docs, std::int64_t seq_len, std::uint64_t seed)
    : docs_(std::move(docs)), seq_len_(seq_len), seed_(seed) {
  RA_CHECK(UsageError, seq_len_ >= 2, "train.seq_len must be >= 2, got ", seq_len_);
  RA_CHECK(UsageError, !docs_.tokens.empty(), "the training corpus has no tokens");
  const auto total = static_cast<std::int64_t>(docs_.tokens.size());
  per_epoch_ = (total + seq_len_ - 1) / seq_len_;
}

const PackedCorpus::Epoch& PackedCorpus::epoch(std::int64_t e) const {
  if (cached_.index == e) return cached_;
  Epoch ep;
  ep.index = e;
  ep.order.resize(docs_.count());
  for (std::uint64_t i = 0; i < ep.order.size(); ++i) ep.order[i] = i;
  // Fisher–Yates with our own bounded draws: the same order on every platform.
  std::mt19937_64 rng(mix_seed(seed_, static_cast<std::uint64_t>(e), 0x5eed));
  for (std::uint64_t i = ep.order.size(); i > 1; --i) std::swap(ep.order[i - 1], ep.order[draw_below(rng, i)]);
  ep.start.resize(ep.order.size() + 1, 0);
  for (std::size_t i = 0; i < ep.order.size(); ++i)
    ep.start[i + 1] = ep.start[i] + (docs_.offsets[ep.order[i] + 1] - docs_.offsets[ep.order[i]]);
  cached_ = std::move(ep);
  return cached_;
}

void PackedCorpus::sequence(std::int64_t k, SequenceBatch& out, std::int64_t row) const {
  const Epoch& ep = epoch(k / per_epoch_);
  const auto begin = static_cast<std::uint64_t>((k % per_epoch_) * seq_len_);
  const std::uint64_t stream_len = ep.start.back();
  // The document piece holding stream offset `begin`.
  std::size_t d = static_cast<std::size_t>(std::upper_bound(ep.start.begin(), ep.start.end(), begin) - ep.start.begin()) - 1;
  std::int32_t segment = 0, position = 0;
  const auto base = static_cast<std::size_t>(row * seq_len_);
  for (std::int64_t i = 0; i < seq_len_; ++i) {
    const std::uint64_t s = begin + static_cast<std::uint64_t>(i);
    const std::size_t at = base + static_cast<std::size_t>(i);
    if (s >= stream_len) {  // past the end of the epoch: padding
      out.tokens[at] = 0;
      out.targets[at] = -1;
      out.positions[at] = 0;
      out.segments[at] = -1;
      continue;
    }
    while (s >= ep.start[d + 1]) {
      ++d;
      ++segment;
      position = 0;
    }
    const std::uint64_t doc = ep.order[d];
    const std::uint64_t in_doc = s - ep.start[d];
    const std::uint64_t doc_len = docs_.offsets[doc + 1] - docs_.offsets[doc];
    out.tokens[at] = static_cast<std::int32_t>(docs_.tokens[docs_.offsets[doc] + in_doc]);
    const bool has_next = in_doc + 1 < doc_len && i + 1 < seq_len_;
    out.targets[at] = has_next ? static_cast<std::int32_t>(docs_.tokens[docs_.offsets[doc] + in_doc + 1]) : -1;
    out.positions[at] = position++;
    out.segments[at] = segment;
  }
}

SequenceBatch PackedCorpus::batch(std::int64_t first_sequence, std::int64_t batch) const {
  SequenceBatch b;
  b.batch = batch;
  b.seq_len = seq_len_;
  const auto n = static_cast<std::size_t>(batch * seq_len_);
  for (auto* v : {&b.tokens, &b.targets, &b.positions, &b.segments}) v->resize(n);
  for (std::int64_t r = 0; r < batch; ++r) sequence(first_sequence + r, b, r);
  return b;
}

}  // namespace ra::data

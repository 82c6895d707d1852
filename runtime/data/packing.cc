#include "runtime/data/packing.h"

#include <algorithm>
#include <limits>
#include <random>

#include "runtime/core/check.h"

namespace ra::data {
namespace {

constexpr std::uint64_t kEpochStream = 0x5eed;  // keeps epoch seeds apart from other mix_seed uses
constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

}  // namespace

PackedCorpus::PackedCorpus(Documents docs, std::int64_t seq_len, std::uint64_t seed)
    : docs_(std::move(docs)), seq_len_(seq_len), seed_(seed) {
  RA_CHECK(UsageError, seq_len_ >= 2 && seq_len_ <= kMaxInt32, "train.seq_len must be in [2, 2^31 − 1], got ",
           seq_len_);
  check_documents(docs_, "the training corpus");
  RA_CHECK(UsageError, !docs_.tokens.empty(), "the training corpus has no tokens");
  // Batches hold int32 token ids.
  const std::uint32_t max_id = *std::max_element(docs_.tokens.begin(), docs_.tokens.end());
  RA_CHECK(UsageError, max_id <= static_cast<std::uint32_t>(kMaxInt32), "token id ", max_id, " does not fit int32");
  const auto total = static_cast<std::int64_t>(docs_.tokens.size());
  per_epoch_ = (total + seq_len_ - 1) / seq_len_;
}

const PackedCorpus::Epoch& PackedCorpus::epoch_locked(std::int64_t e) const {
  if (cached_.index == e) return cached_;
  Epoch ep;
  ep.index = e;
  ep.order.resize(docs_.count());
  for (std::uint64_t i = 0; i < ep.order.size(); ++i) ep.order[i] = i;
  // Fisher–Yates with our own bounded draws: the same order on every platform.
  std::mt19937_64 rng(mix_seed(seed_, static_cast<std::uint64_t>(e), kEpochStream));
  for (std::uint64_t i = ep.order.size(); i > 1; --i) std::swap(ep.order[i - 1], ep.order[draw_below(rng, i)]);
  ep.start.resize(ep.order.size() + 1, 0);
  for (std::size_t i = 0; i < ep.order.size(); ++i)
    ep.start[i + 1] = ep.start[i] + (docs_.offsets[ep.order[i] + 1] - docs_.offsets[ep.order[i]]);
  cached_ = std::move(ep);
  return cached_;
}

std::vector<std::uint64_t> PackedCorpus::epoch_order(std::int64_t epoch) const {
  RA_CHECK(UsageError, epoch >= 0, "epoch ", epoch, " is negative");
  const std::lock_guard<std::mutex> lock(mutex_);
  return epoch_locked(epoch).order;
}

void PackedCorpus::fill_row(const Epoch& ep, std::int64_t k, SequenceBatch& out, std::int64_t row) const {
  const auto begin = static_cast<std::uint64_t>((k % per_epoch_) * seq_len_);
  const std::uint64_t stream_len = ep.start.back();
  // The document piece holding stream offset `begin` (empty documents have start[i] ==
  // start[i+1]; upper_bound skips them).
  auto d = static_cast<std::size_t>(std::upper_bound(ep.start.begin(), ep.start.end(), begin) - ep.start.begin()) - 1;
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
    if (s >= ep.start[d + 1]) {  // the next non-empty document: a new segment
      while (s >= ep.start[d + 1]) ++d;
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

void PackedCorpus::sequence(std::int64_t k, SequenceBatch& out, std::int64_t row) const {
  RA_CHECK(UsageError, k >= 0, "sequence index ", k, " is negative");
  RA_CHECK(UsageError,
           row >= 0 && out.seq_len == seq_len_ && out.tokens.size() >= static_cast<std::size_t>((row + 1) * seq_len_) &&
               out.targets.size() == out.tokens.size() && out.positions.size() == out.tokens.size() &&
               out.segments.size() == out.tokens.size(),
           "row ", row, " does not fit a batch of ", out.tokens.size(), " tokens and seq_len ", out.seq_len);
  const std::lock_guard<std::mutex> lock(mutex_);
  fill_row(epoch_locked(k / per_epoch_), k, out, row);
}

SequenceBatch PackedCorpus::batch(std::int64_t first_sequence, std::int64_t batch) const {
  RA_CHECK(UsageError, first_sequence >= 0 && batch >= 0, "batch of ", batch, " sequences from sequence ",
           first_sequence);
  SequenceBatch b;
  b.batch = batch;
  b.seq_len = seq_len_;
  const auto n = static_cast<std::size_t>(batch * seq_len_);
  for (auto* v : {&b.tokens, &b.targets, &b.positions, &b.segments}) v->resize(n);
  const std::lock_guard<std::mutex> lock(mutex_);
  for (std::int64_t r = 0; r < batch; ++r) {
    const std::int64_t k = first_sequence + r;
    fill_row(epoch_locked(k / per_epoch_), k, b, r);
  }
  return b;
}

SequenceBatch PackedCorpus::batch_at_step(std::int64_t step, std::int64_t batch) const {
  RA_CHECK(UsageError, step >= 0 && batch >= 0, "step ", step, " with a batch of ", batch);
  return this->batch(step * batch, batch);
}

}  // namespace ra::data

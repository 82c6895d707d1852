#include "runtime/train/data_source.h"

#include <string>
#include <vector>

#include "runtime/data/packing.h"
#include "runtime/data/passkey.h"
#include "runtime/data/text_corpus.h"
#include "runtime/core/error.h"
#include "runtime/data/token_file.h"

namespace ra::train {
namespace {

// Streams of sequence seeds: training and evaluation never share one.
constexpr std::uint64_t kTrainStream = 1, kEvalStream = 2;

std::int64_t first_sequence(std::int64_t index, int dp_rank, int dp_size, std::int64_t batch) {
  return (index * dp_size + dp_rank) * batch;
}

class PasskeySource final : public BatchSource {
 public:
  PasskeySource(const data::PasskeyOptions& o, std::int64_t batch) : o_(o), batch_(batch) {
    data::validate_passkey(o_);
  }
  SequenceBatch batch(std::int64_t step, int dp_rank, int dp_size) override {
    return data::passkey_batch(o_, kTrainStream, static_cast<std::uint64_t>(first_sequence(step, dp_rank, dp_size, 1)),
                               batch_);
  }
  SequenceBatch eval_batch(std::int64_t index, int dp_rank, int dp_size) override {
    return data::passkey_batch(o_, kEvalStream, static_cast<std::uint64_t>(first_sequence(index, dp_rank, dp_size, 1)),
                               batch_);
  }

 private:
  data::PasskeyOptions o_;
  std::int64_t batch_;
};

class CorpusSource final : public BatchSource {
 public:
  CorpusSource(const data::Documents& docs, std::int64_t seq_len, std::uint64_t seed, std::int64_t batch)
      : train_(docs, seq_len, seed), eval_(docs, seq_len, data::mix_seed(seed, kEvalStream)), batch_(batch) {}
  SequenceBatch batch(std::int64_t step, int dp_rank, int dp_size) override {
    return train_.batch(first_sequence(step, dp_rank, dp_size, batch_), batch_);
  }
  SequenceBatch eval_batch(std::int64_t index, int dp_rank, int dp_size) override {
    return eval_.batch(first_sequence(index, dp_rank, dp_size, batch_), batch_);
  }

 private:
  data::PackedCorpus train_, eval_;
  std::int64_t batch_;
};

data::Documents load_documents(const config::Train& t, const config::Model& m) {
  const std::vector<std::string> files(t.data().files().begin(), t.data().files().end());
  if (t.data().kind() == config::DATA_KIND_TEXT) {
    if (m.vocab() < 256)
      throw UsageError("train.data.kind = text needs model.vocab >= 256 (bytes), got " + std::to_string(m.vocab()));
    return data::read_text_documents(files);
  }
  data::Documents all;
  all.offsets.push_back(0);
  for (const std::string& f : files) {
    const data::Documents d = data::read_token_file(f, m.vocab());
    // The format allows a file without tokens; training data does not (like an empty
    // text file): the file is named here, not left to the corpus' internal check.
    if (d.tokens.empty())
      throw InputDataError(f + ": byte 32: token_count is 0 (" + std::to_string(d.count()) +
                           " documents): a training data file needs at least one token");
    for (std::uint64_t i = 1; i < d.offsets.size(); ++i) all.offsets.push_back(all.tokens.size() + d.offsets[i]);
    all.tokens.insert(all.tokens.end(), d.tokens.begin(), d.tokens.end());
  }
  return all;
}

data::PasskeyOptions passkey_options(const config::Train& t) {
  return {static_cast<std::int64_t>(t.seq_len()), static_cast<std::int64_t>(t.data().passkey_digits()), t.seed()};
}

}  // namespace

void check_data(const config::Train& t, const config::Model& m) {
  if (t.data().kind() == config::DATA_KIND_PASSKEY) {
    data::validate_passkey(passkey_options(t));
    if (m.vocab() < 128)
      throw UsageError("train.data.kind = passkey needs model.vocab >= 128 (ASCII), got " + std::to_string(m.vocab()));
    return;
  }
  data::PackedCorpus(load_documents(t, m), static_cast<std::int64_t>(t.seq_len()), t.seed());
}

std::unique_ptr<BatchSource> make_batch_source(const config::Train& t, const config::Model& m) {
  const auto batch = static_cast<std::int64_t>(t.batch_size());
  if (t.data().kind() == config::DATA_KIND_PASSKEY) return std::make_unique<PasskeySource>(passkey_options(t), batch);
  return std::make_unique<CorpusSource>(load_documents(t, m), static_cast<std::int64_t>(t.seq_len()), t.seed(), batch);
}

}  // namespace ra::train

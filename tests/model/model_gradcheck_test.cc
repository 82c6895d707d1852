// The whole transformer's gradient (f64, activation recomputation, tied or untied
// embeddings, RoPE / ALiBi / no positions, GQA, packed documents with padding) against
// central finite differences of the loss at every parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/model/transformer.h"
#include "tests/model/naive_attention_fn.h"

namespace ra::model {
namespace {

struct GradCase {
  const char* name;
  ModelConfig config;
  bool packed;
};

ModelConfig tiny() {
  ModelConfig c;
  c.vocab = 11;
  c.d_model = 8;
  c.layers = 2;
  c.heads = 2;
  c.kv_heads = 1;
  c.head_dim = 4;
  c.mlp_hidden = 12;
  return c;
}

std::vector<GradCase> cases() {
  std::vector<GradCase> out;
  ModelConfig c = tiny();
  out.push_back({"rope_tied_causal", c, false});
  c.positions = Positions::kAlibi;
  c.embeddings = Embeddings::kUntied;
  c.mask = {numerics::MaskKind::kCausal, 5};
  out.push_back({"alibi_untied_window", c, false});
  c = tiny();
  c.positions = Positions::kNone;
  c.kv_heads = 2;
  c.mask = {numerics::MaskKind::kBidirectional, 0};
  out.push_back({"nopos_bidirectional_packed", c, true});
  c = tiny();
  c.rope = {500.0, RopeScaling::kNtk, 2.0};
  out.push_back({"rope_ntk_packed", c, true});
  return out;
}

class ModelGradients : public ::testing::TestWithParam<GradCase> {};

TEST_P(ModelGradients, MatchFiniteDifferences) {
  const GradCase& gc = GetParam();
  const ModelConfig& c = gc.config;
  const std::int64_t n = 12;
  std::vector<std::int32_t> tokens(n), targets(n), pos(n), seg(n);
  for (std::int64_t i = 0; i < n; ++i) {
    tokens[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 7 + 3) % c.vocab);
    targets[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 5 + 1) % c.vocab);
    // Packed: two documents (positions restart) and two padding tokens without targets.
    const bool pad = gc.packed && i >= n - 2;
    seg[static_cast<std::size_t>(i)] = pad ? -1 : (gc.packed && i >= 5 ? 1 : 0);
    pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(gc.packed && i >= 5 ? i - 5 : i);
    if (pad || i == 4) targets[static_cast<std::size_t>(i)] = -1;
  }
  Transformer<double> model(c);
  std::vector<double> params;
  init_params<double>(model.layout(), 3, c.layers, params);
  for (double& p : params) p *= 10;  // larger weights: a gradient test that exercises the nonlinearities
  testing::NaiveAttentionFn<double> attention(c, pos.data(), seg.data(), n);
  const TokenShard shard{tokens.data(), targets.data(), pos.data(), n};
  const double scale = 1.0 / 9.0;
  std::vector<double> grads(params.size(), 0.0);
  const StepLoss sl = model.forward_backward(params, shard, attention, scale, grads);
  EXPECT_EQ(sl.valid_rows, gc.packed ? 9 : 11);
  ASSERT_TRUE(std::isfinite(sl.loss_sum));

  auto loss = [&] {
    std::vector<double> unused(params.size(), 0.0);
    return scale * model.forward_backward(params, shard, attention, scale, unused).loss_sum;
  };
  const double h = 1e-6;
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double keep = params[i];
    params[i] = keep + h;
    const double up = loss();
    params[i] = keep - h;
    const double down = loss();
    params[i] = keep;
    const double numeric = (up - down) / (2 * h);
    const double err = std::fabs(grads[i] - numeric) / std::max(1e-3, std::fabs(numeric));
    if (err > worst) worst = err, at = i;
  }
  std::string name = "?";
  for (const ParamSlice& s : model.layout().slices())
    if (static_cast<std::int64_t>(at) >= s.offset_elems && static_cast<std::int64_t>(at) < s.offset_elems + s.elems())
      name = s.name;
  EXPECT_LE(worst, 1e-5) << gc.name << ": max relative error " << worst << " at parameter " << at << " (" << name
                         << "), analytic " << grads[at];
}

INSTANTIATE_TEST_SUITE_P(Configs, ModelGradients, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<GradCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ra::model

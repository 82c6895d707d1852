#include "runtime/model/params.h"

#include <cmath>
#include <random>

#include "runtime/core/check.h"

namespace ra::model {

void validate_model_config(const ModelConfig& c) {
  RA_CHECK(UsageError, c.vocab >= 2, "model.vocab must be >= 2, got ", c.vocab);
  RA_CHECK(UsageError, c.d_model >= 1 && c.layers >= 1 && c.mlp_hidden >= 1, "model sizes must be >= 1");
  RA_CHECK(UsageError, c.heads >= 1 && c.kv_heads >= 1 && c.heads % c.kv_heads == 0, "model.heads (", c.heads,
           ") must be a multiple of model.kv_heads (", c.kv_heads, ")");
  RA_CHECK(UsageError, c.positions != Positions::kRope || c.head_dim % 2 == 0,
           "model.head_dim must be even with RoPE, got ", c.head_dim);
  RA_CHECK(UsageError, c.rope.base > 1.0 && c.rope.factor >= 1.0, "model.rope_base must be > 1 and rope_factor >= 1");
}

ParamLayout::ParamLayout(const ModelConfig& c) {
  validate_model_config(c);
  using Init = ParamSlice::Init;
  embed_ = add("embed", c.vocab, c.d_model, Init::kNormal);
  for (std::int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerParams lp{};
    lp.attn_norm = add(p + "attn_norm", c.d_model, 1, Init::kOnes);
    lp.wq = add(p + "wq", c.q_features(), c.d_model, Init::kNormal);
    lp.wk = add(p + "wk", c.kv_features(), c.d_model, Init::kNormal);
    lp.wv = add(p + "wv", c.kv_features(), c.d_model, Init::kNormal);
    lp.wo = add(p + "wo", c.d_model, c.q_features(), Init::kResidualNormal);
    lp.mlp_norm = add(p + "mlp_norm", c.d_model, 1, Init::kOnes);
    lp.w1 = add(p + "w1", c.mlp_hidden, c.d_model, Init::kNormal);
    lp.w3 = add(p + "w3", c.mlp_hidden, c.d_model, Init::kNormal);
    lp.w2 = add(p + "w2", c.d_model, c.mlp_hidden, Init::kResidualNormal);
    layers_.push_back(lp);
  }
  final_norm_ = add("final_norm", c.d_model, 1, Init::kOnes);
  lm_head_ = c.embeddings == Embeddings::kTied ? embed_ : add("lm_head", c.vocab, c.d_model, Init::kNormal);
}

std::int64_t ParamLayout::layer_end(std::int64_t l) const {
  const auto next = static_cast<std::size_t>(l + 1);
  return next < layers_.size() ? layers_[next].attn_norm : final_norm_;
}

std::int64_t ParamLayout::add(std::string name, std::int64_t rows, std::int64_t cols, ParamSlice::Init init) {
  const std::int64_t at = total_elems_;
  slices_.push_back({std::move(name), at, rows, cols, init});
  total_elems_ += rows * cols;
  return at;
}

template <typename T>
void init_params(const ParamLayout& layout, std::uint64_t seed, std::int64_t layers, std::vector<T>& params) {
  params.assign(static_cast<std::size_t>(layout.total_elems()), T(0));
  std::mt19937_64 rng(seed);
  // Box–Muller on 53-bit uniforms: the same values on every platform (std::normal_distribution is not specified).
  auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  auto normal = [&] { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); };
  const double std_dev = 0.02, residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(layers));
  for (const ParamSlice& s : layout.slices()) {
    T* p = params.data() + s.offset_elems;
    for (std::int64_t i = 0; i < s.elems(); ++i) {
      switch (s.init) {
        case ParamSlice::Init::kOnes: p[i] = T(1); break;
        case ParamSlice::Init::kNormal: p[i] = static_cast<T>(std_dev * normal()); break;
        case ParamSlice::Init::kResidualNormal: p[i] = static_cast<T>(residual_std * normal()); break;
      }
    }
  }
}

template void init_params<float>(const ParamLayout&, std::uint64_t, std::int64_t, std::vector<float>&);
template void init_params<double>(const ParamLayout&, std::uint64_t, std::int64_t, std::vector<double>&);

}  // namespace ra::model

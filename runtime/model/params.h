// The model's parameters as one flat f32/f64 array with named slices: one buffer to
// all-reduce, to update, and to checkpoint tensor by tensor. Names are stable
// ("layers.3.wq"), and so is the order (the checkpoint and the init depend on it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model/model_config.h"

namespace ra::model {

struct ParamSlice {
  std::string name;
  std::int64_t offset_elems = 0;
  std::int64_t rows = 0, cols = 1;  // a [rows, cols] matrix, or a [rows] vector with cols 1
  enum class Init : std::uint8_t { kNormal, kOnes, kResidualNormal } init = Init::kNormal;
  std::int64_t elems() const { return rows * cols; }
};

// Offsets of one transformer layer's parameters.
struct LayerParams {
  std::int64_t attn_norm, wq, wk, wv, wo, mlp_norm, w1, w3, w2;
};

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& c);
  const std::vector<ParamSlice>& slices() const { return slices_; }
  std::int64_t total_elems() const { return total_elems_; }
  const LayerParams& layer(std::int64_t l) const { return layers_[static_cast<std::size_t>(l)]; }
  std::int64_t embed() const { return embed_; }
  std::int64_t final_norm() const { return final_norm_; }
  std::int64_t lm_head() const { return lm_head_; }  // == embed() when tied
  // Layer l's parameters are one contiguous range, [layer(l).attn_norm, layer_end(l)):
  // the end is the next layer's first element, or final_norm() after the last layer.
  std::int64_t layer_end(std::int64_t l) const;

 private:
  std::int64_t add(std::string name, std::int64_t rows, std::int64_t cols, ParamSlice::Init init);
  std::vector<ParamSlice> slices_;
  std::vector<LayerParams> layers_;
  std::int64_t total_elems_ = 0, embed_ = 0, final_norm_ = 0, lm_head_ = 0;
};

// Deterministic initialization from a seed (platform-independent: our own normal draws
// from std::mt19937_64): matrices N(0, 0.02²), output projections of residual branches
// N(0, 0.02²/(2·layers)), norm gains 1.
template <typename T>
void init_params(const ParamLayout& layout, std::uint64_t seed, std::int64_t layers, std::vector<T>& params);

}  // namespace ra::model

// The shape of the decoder-only transformer (runtime/model/transformer.h): filled from
// the YAML `model` section by the trainer, or directly by tests.
#pragma once

#include <cstdint>

#include "kernels/numerics.h"
#include "runtime/model/rope.h"

namespace ra::model {

enum class Positions : std::uint8_t { kRope, kAlibi, kNone };
enum class Embeddings : std::uint8_t { kTied, kUntied };

struct ModelConfig {
  std::int64_t vocab = 256;
  std::int64_t d_model = 64;
  std::int64_t layers = 2;
  std::int64_t heads = 4;     // Hq
  std::int64_t kv_heads = 4;  // Hkv, Hq % Hkv == 0 (GQA/MQA)
  std::int64_t head_dim = 16;
  std::int64_t mlp_hidden = 172;  // SwiGLU hidden size
  Embeddings embeddings = Embeddings::kTied;
  Positions positions = Positions::kRope;
  RopeOptions rope;
  double norm_eps = 1e-5;
  numerics::MaskRule mask{numerics::MaskKind::kCausal, 0};

  std::int64_t q_features() const { return heads * head_dim; }
  std::int64_t kv_features() const { return kv_heads * head_dim; }
};

// Throws ra::UsageError naming the field and the rule it breaks.
void validate_model_config(const ModelConfig& c);

}  // namespace ra::model

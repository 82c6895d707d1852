// Attention as the transformer sees it: this rank's tokens in, this rank's tokens out.
// The training implementation runs the ring over the sequence-parallel group
// (runtime/model/ring_attention_fn.h); tests use a single-process f64 reference. Stateless
// between calls: the backward gets O and LSE back from its caller (the model recomputes
// them under activation recomputation).
#pragma once

#include <cstdint>

namespace ra::model {

// Shapes: q, o, dq [n, Hq, D]; k, v, dk, dv [n, Hkv, D]; lse [Hq, n]; this rank's n tokens,
// with global positions and segment ids [n] (segment −1: padding).
template <typename T>
class AttentionFn {
 public:
  virtual ~AttentionFn() = default;
  virtual void forward(const T* q, const T* k, const T* v, T* o, T* lse) = 0;
  virtual void backward(const T* q, const T* k, const T* v, const T* o, const T* lse, const T* dout, T* dq, T* dk,
                        T* dv) = 0;
};

}  // namespace ra::model

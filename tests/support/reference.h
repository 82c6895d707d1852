// Naive attention, row by row with a full softmax, as the independent reference of the
// numerics policy (docs/design.md §8): in f64 it is the truth; in f32 it is the
// "naive same precision" implementation whose error sets the tolerance.
#pragma once

#include "tests/support/attention_case.h"

namespace ra::testing {

// T = double: the reference. T = float: naive at the kernels' precision; with 16-bit storage
// its O is rounded to that type (as the kernels store it) before Dsum = rowsum(dO ∘ O).
template <typename T>
AttnResult<T> naive_attention(const AttnCase& c);

extern template AttnResult<double> naive_attention<double>(const AttnCase&);
extern template AttnResult<float> naive_attention<float>(const AttnCase&);

// Loss whose gradient the backward computes: sum(O ∘ dO), in f64 (finite differences).
double reference_loss(const AttnCase& c, const std::vector<double>& q, const std::vector<double>& k,
                      const std::vector<double>& v);

}  // namespace ra::testing

// Attention problems for tests: random cases from a spec, and their names.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/reference/naive_attention.h"
#include "runtime/core/dtype.h"

namespace ra::testing {

// The problem and result types are the reference's (kernels/reference): the tests build
// problems, the reference states what the answer is.
using reference::AttnCase;
using reference::AttnResult;
using reference::naive_attention;
using reference::reference_loss;
using reference::round_to_storage;
using reference::unit_roundoff;

struct CaseSpec {
  std::int64_t lq = 16, lk = 16, hq = 2, hkv = 1, d = 16;
  bool causal = false;
  std::int32_t window = 0;
  bool alibi = false;
  int segments = 1;               // documents packed into the sequence (>1: packed)
  std::int64_t padding = 0;       // trailing padding tokens (segment -1) on both sides
  std::int64_t q_pos_offset = 0;  // queries start at this global position; keys at 0
  DType storage = DType::kF32;
  std::uint64_t seed = 1;
};

// Random N(0,1) inputs; segments split both sides at the same positions.
AttnCase make_case(const CaseSpec& spec);

// "lq113_lk113_h4x2_d40_causal_w17": names test instances and failure messages.
std::string case_name(const CaseSpec& spec);

// GoogleTest prints parameters with this instead of a byte dump.
void PrintTo(const CaseSpec& spec, std::ostream* os);

}  // namespace ra::testing

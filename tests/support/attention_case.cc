#include "tests/support/attention_case.h"

#include <cmath>
#include <random>
#include <sstream>

namespace ra::testing {
namespace {

// Positions restart at 0 in each document; document of a token chosen by global index.
void fill_meta(std::int64_t n, std::int64_t offset, int segments, std::int64_t padding, std::int64_t span,
               std::vector<std::int32_t>& pos, std::vector<std::int32_t>& seg) {
  pos.resize(static_cast<std::size_t>(n));
  seg.resize(static_cast<std::size_t>(n));
  const std::int64_t doc_len = std::max<std::int64_t>(1, (span + segments - 1) / segments);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t g = i + offset;
    if (i >= n - padding) {
      pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(g);
      seg[static_cast<std::size_t>(i)] = -1;
      continue;
    }
    const std::int64_t doc = std::min<std::int64_t>(g / doc_len, segments - 1);
    pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(g - doc * doc_len);
    seg[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(doc);
  }
}

}  // namespace

std::string case_name(const CaseSpec& s) {
  std::ostringstream name;
  name << "lq" << s.lq << "_lk" << s.lk << "_h" << s.hq << "x" << s.hkv << "_d" << s.d
       << (s.causal ? "_causal" : "_bidir") << (s.window ? "_w" + std::to_string(s.window) : "")
       << (s.alibi ? "_alibi" : "") << (s.segments > 1 ? "_seg" + std::to_string(s.segments) : "")
       << (s.padding ? "_pad" + std::to_string(s.padding) : "")
       << (s.storage == DType::kBF16  ? "_bf16"
           : s.storage == DType::kF16 ? "_f16"
                                      : "");
  return name.str();
}

void PrintTo(const CaseSpec& spec, std::ostream* os) { *os << case_name(spec); }

AttnCase make_case(const CaseSpec& s) {
  AttnCase c;
  c.name = case_name(s);
  c.lq = s.lq;
  c.lk = s.lk;
  c.hq = s.hq;
  c.hkv = s.hkv;
  c.d = s.d;
  c.causal = s.causal;
  c.window = s.window;
  c.alibi = s.alibi;
  c.storage = s.storage;
  c.scale = 1.0 / std::sqrt(static_cast<double>(s.d));
  std::mt19937_64 rng(s.seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto fill = [&](std::vector<float>& v, std::int64_t n) {
    v.resize(static_cast<std::size_t>(n));
    for (float& x : v) x = round_to_storage(dist(rng), s.storage);
  };
  fill(c.q, s.lq * s.hq * s.d);
  fill(c.k, s.lk * s.hkv * s.d);
  fill(c.v, s.lk * s.hkv * s.d);
  fill(c.dout, s.lq * s.hq * s.d);
  const std::int64_t span = std::max(s.lq + s.q_pos_offset, s.lk);
  fill_meta(s.lq, s.q_pos_offset, s.segments, s.padding, span, c.pos_q, c.seg_q);
  fill_meta(s.lk, 0, s.segments, s.padding, span, c.pos_k, c.seg_k);
  if (s.alibi) {
    for (std::int64_t h = 0; h < s.hq; ++h)
      c.slopes.push_back(std::pow(2.0f, -8.0f * static_cast<float>(h + 1) / static_cast<float>(s.hq)));
  }
  return c;
}

}  // namespace ra::testing

#include "tests/support/golden.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "runtime/io/npy.h"
#include "kernels/reference/naive_attention.h"
#include "tests/support/attention_case.h"

namespace ra::testing {

namespace fs = std::filesystem;

// The configured directory (-DRA_GOLDEN_DIR), overridable at run time by $RA_GOLDEN_DIR.
fs::path golden_dir() {
  const char* env = std::getenv("RA_GOLDEN_DIR");
  return env ? fs::path(env) : fs::path(RA_GOLDEN_DIR_DEFAULT);
}

namespace {

// meta.json: "key": number or boolean (booleans read as 0 and 1).
double meta_number(const std::string& json, const std::string& key) {
  const nlohmann::json meta = nlohmann::json::parse(json);
  const auto it = meta.find(key);
  if (it == meta.end() || !(it->is_number() || it->is_boolean())) {
    throw std::runtime_error("meta.json lacks the number or boolean '" + key + "'");
  }
  return it->is_boolean() ? (it->get<bool>() ? 1.0 : 0.0) : it->get<double>();
}

}  // namespace

Golden load_golden(const fs::path& dir) {
  std::ifstream f(dir / "meta.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string meta = ss.str();
  Golden g;
  AttnCase& c = g.c;
  c.name = dir.filename().string();
  c.causal = meta_number(meta, "causal") != 0;
  c.window = static_cast<std::int32_t>(meta_number(meta, "window"));
  c.scale = meta_number(meta, "scale");
  c.alibi = meta_number(meta, "alibi") != 0;
  c.lq = c.lk = static_cast<std::int64_t>(meta_number(meta, "seq_len"));
  c.hq = static_cast<std::int64_t>(meta_number(meta, "heads"));
  c.hkv = static_cast<std::int64_t>(meta_number(meta, "kv_heads"));
  c.d = static_cast<std::int64_t>(meta_number(meta, "head_dim"));
  auto arr = [&](const char* name) { return io::read_npy((dir / name).string()); };
  c.q = arr("q.npy").to_f32();
  c.k = arr("k.npy").to_f32();
  c.v = arr("v.npy").to_f32();
  c.dout = arr("dout.npy").to_f32();
  c.pos_q = c.pos_k = arr("pos.npy").to_i32();
  c.seg_q = c.seg_k = arr("seg.npy").to_i32();
  if (c.alibi) c.slopes = arr("alibi.npy").to_f32();
  g.expected.o = arr("o.npy").to_f64();
  g.expected.lse = arr("lse.npy").to_f64();
  g.expected.dq = arr("dq.npy").to_f64();
  g.expected.dk = arr("dk.npy").to_f64();
  g.expected.dv = arr("dv.npy").to_f64();
  // The golden files carry values only; the gradient floors need the sums of |terms|,
  // which our f64 reference computes (it agrees with golden: OurF64ReferenceAgreesWithGolden).
  const AttnResult<double> ours = naive_attention<double>(c);
  g.expected.dq_mag = ours.dq_mag;
  g.expected.dk_mag = ours.dk_mag;
  g.expected.dv_mag = ours.dv_mag;
  return g;
}

std::vector<fs::path> golden_cases() {
  std::vector<fs::path> out;
  const fs::path dir = golden_dir();
  if (dir.empty() || !fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && fs::exists(e.path() / "meta.json")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ra::testing

#include "kernels/gemm/openblas_core.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace ra::gemm {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// OpenBLAS 0.3.21's x86-64 cores (driver/others/dynamic.c, corename[]) by the widest
// instructions their GEMM kernels use.
constexpr std::array<std::pair<std::string_view, SimdLevel>, 26> kCores{{
    {"Katmai", SimdLevel::kSse},        {"Coppermine", SimdLevel::kSse},
    {"Northwood", SimdLevel::kSse},     {"Prescott", SimdLevel::kSse},
    {"Banias", SimdLevel::kSse},        {"Atom", SimdLevel::kSse},
    {"Core2", SimdLevel::kSse},         {"Penryn", SimdLevel::kSse},
    {"Dunnington", SimdLevel::kSse},    {"Nehalem", SimdLevel::kSse},
    {"Athlon", SimdLevel::kSse},        {"Opteron", SimdLevel::kSse},
    {"Opteron_SSE3", SimdLevel::kSse},  {"Barcelona", SimdLevel::kSse},
    {"Nano", SimdLevel::kSse},          {"Bobcat", SimdLevel::kSse},
    {"Sandybridge", SimdLevel::kAvx},   {"Bulldozer", SimdLevel::kAvx},
    {"Piledriver", SimdLevel::kAvx},    {"Steamroller", SimdLevel::kAvx},
    {"Haswell", SimdLevel::kAvx2},      {"Excavator", SimdLevel::kAvx2},
    {"Zen", SimdLevel::kAvx2},          {"SkylakeX", SimdLevel::kAvx512},
    {"Cooperlake", SimdLevel::kAvx512}, {"SapphireRapids", SimdLevel::kAvx512},
}};

}  // namespace

const char* to_string(SimdLevel level) {
  switch (level) {
    case SimdLevel::kSse: return "SSE";
    case SimdLevel::kAvx: return "AVX";
    case SimdLevel::kAvx2: return "AVX2";
    case SimdLevel::kAvx512: return "AVX-512";
    case SimdLevel::kUnknown: break;
  }
  return "unknown";
}

SimdLevel openblas_core_level(std::string_view core) {
  for (const auto& [name, level] : kCores) {
    if (same_name(name, core)) return level;
  }
  return SimdLevel::kUnknown;
}

SimdLevel cpu_simd_level() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return SimdLevel::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
  if (__builtin_cpu_supports("avx")) return SimdLevel::kAvx;
  return SimdLevel::kSse;
}

std::string openblas_core_warning(std::string_view core, SimdLevel cpu) {
  const SimdLevel core_level = openblas_core_level(core);
  if (core_level == SimdLevel::kUnknown || cpu == SimdLevel::kUnknown) return {};
  const SimdLevel expected = std::min(cpu, SimdLevel::kAvx2);
  if (core_level >= expected) return {};
  return std::string("OpenBLAS took this CPU for a '") + std::string(core) + "' (" + to_string(core_level) +
         " kernels) but the CPU has " + to_string(cpu) +
         ": the f64 GEMMs (the model's gradient and reference checks) run several times slower than they could. "
         "The f32 and bf16 GEMMs (oneDNN) are not affected.";
}

}  // namespace ra::gemm

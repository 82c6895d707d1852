// Whether OpenBLAS's choice of kernels fits the CPU it runs on. OpenBLAS (DYNAMIC_ARCH)
// picks a "core" from its own table of CPU models; a CPU newer than its table falls back
// to an old core (Debian's 0.3.21 takes a Sapphire Rapids for a Prescott: SSE3 kernels,
// 3× slower than its AVX-512 ones). Pure functions of the core's name and the CPU's
// vector level, so the rule is tested without the CPU in question.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ra::gemm {

// The widest vector instructions a CPU has (cpuid) or an OpenBLAS core's kernels use.
enum class SimdLevel : std::uint8_t { kUnknown, kSse, kAvx, kAvx2, kAvx512 };

const char* to_string(SimdLevel level);

// The level of the kernels of an OpenBLAS x86-64 core as openblas_get_corename() names
// it ("Prescott", "Haswell", "SkylakeX", ...; case-insensitive); kUnknown for a name
// not in the table.
SimdLevel openblas_core_level(std::string_view core);

// This CPU's level per cpuid (AVX2 counts only with FMA, AVX-512 needs F, BW, VL, DQ).
SimdLevel cpu_simd_level();

// A one-line warning when `core`'s kernels use less than min(cpu, AVX2): the case where
// OpenBLAS runs several times below the CPU. An AVX2 core on an AVX-512 CPU is OpenBLAS's
// own choice for CPUs it has no AVX-512 kernels for (0.3.21 on AMD Zen 4) and at most 2×
// off: not reported. Empty when there is nothing to report or the core is unknown.
std::string openblas_core_warning(std::string_view core, SimdLevel cpu);

}  // namespace ra::gemm

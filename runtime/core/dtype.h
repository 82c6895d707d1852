// Element types of tensors and the bf16 storage type with its conversions.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ra {

// kU8: raw bytes (packed messages that carry several typed parts).
enum class DType : std::uint8_t { kF32, kBF16, kF16, kF64, kI32, kU8 };

constexpr std::size_t dtype_size_bytes(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kBF16: return 2;
    case DType::kF16: return 2;
    case DType::kF64: return 8;
    case DType::kI32: return 4;
    case DType::kU8: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kBF16: return "bf16";
    case DType::kF16: return "f16";
    case DType::kF64: return "f64";
    case DType::kI32: return "i32";
    case DType::kU8: return "u8";
  }
  return "?";
}

// bfloat16 as stored: the upper 16 bits of an IEEE float32.
struct bf16 {
  std::uint16_t bits;
};

// float -> bf16, round to nearest even; NaN stays a (quiet) NaN, ±inf stays ±inf.
inline bf16 to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<std::uint16_t>((u >> 16) | 0x40u)};
  const std::uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return bf16{static_cast<std::uint16_t>((u + rounding_bias) >> 16)};
}

inline float to_float(bf16 b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b.bits) << 16); }

// The value a float has once stored as bf16 (used to build references on rounded inputs).
inline float round_to_bf16(float f) { return to_float(to_bf16(f)); }

// IEEE binary16 as stored. Conversions go through GCC's _Float16 (x86-64, round to
// nearest even, subnormals and ±inf as IEEE specifies).
struct f16 {
  std::uint16_t bits;
};

#if defined(__clang__) && __clang_major__ < 15
// Clang before 15 (the fuzz preset's clang 14) has no _Float16 on x86-64; its __fp16
// converts the same way (IEEE, round to nearest even) but cannot be a bit_cast result.
inline f16 to_f16(float f) {
  const __fp16 h = static_cast<__fp16>(f);
  f16 out;
  std::memcpy(&out.bits, &h, sizeof out.bits);
  return out;
}
inline float to_float(f16 h) {
  __fp16 x;
  std::memcpy(&x, &h.bits, sizeof x);
  return static_cast<float>(x);
}
#else
inline f16 to_f16(float f) { return f16{std::bit_cast<std::uint16_t>(static_cast<_Float16>(f))}; }
inline float to_float(f16 h) { return static_cast<float>(std::bit_cast<_Float16>(h.bits)); }
#endif
inline float round_to_f16(float f) { return to_float(to_f16(f)); }

// Float storage types as float and back (f32, bf16, f16; rounding to nearest even).
inline float to_float(float x) { return x; }
template <typename T>
inline T from_float(float x);
template <>
inline float from_float<float>(float x) {
  return x;
}
template <>
inline bf16 from_float<bf16>(float x) {
  return to_bf16(x);
}
template <>
inline f16 from_float<f16>(float x) {
  return to_f16(x);
}

// Calls fn(T{}) with T the C++ type of a float storage dtype (float, bf16, f16); false
// for any other dtype. One switch outside the loops that convert element by element.
template <typename Fn>
inline bool visit_float_storage(DType t, Fn&& fn) {
  switch (t) {
    case DType::kF32: fn(float{}); return true;
    case DType::kBF16: fn(bf16{}); return true;
    case DType::kF16: fn(f16{}); return true;
    default: return false;
  }
}

template <typename T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::kF32;
};
template <>
struct dtype_of<bf16> {
  static constexpr DType value = DType::kBF16;
};
template <>
struct dtype_of<f16> {
  static constexpr DType value = DType::kF16;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::kF64;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = DType::kI32;
};
template <>
struct dtype_of<std::uint8_t> {
  static constexpr DType value = DType::kU8;
};
template <typename T>
inline constexpr DType dtype_of_v = dtype_of<std::remove_const_t<T>>::value;

}  // namespace ra

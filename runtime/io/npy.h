// NumPy .npy files (format versions 1-3, little-endian, C order): the exchange format of
// golden cases and of the `attention` tool. Reading is hardened: any malformed, truncated
// or absurd file is an ra::InputDataError naming the file and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/dtype.h"

namespace ra::io {

struct NpyArray {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::vector<unsigned char> bytes;  // numel * dtype size, C order

  std::int64_t numel_elems() const;
  std::string shape_str() const;  // "[96, 4, 32]"
  // The elements converted to T (f32/f64/i32/f16 sources as the element type allows).
  std::vector<float> to_f32() const;
  std::vector<double> to_f64() const;
  std::vector<std::int32_t> to_i32() const;
};

// Largest file payload read_npy accepts (a guard against absurd declared sizes).
inline constexpr std::uint64_t kNpyMaxBytes = std::uint64_t{1} << 40;
// Largest header (beyond: refused as absurd).
inline constexpr std::size_t kNpyMaxHeaderBytes = std::size_t{1} << 20;

// What a .npy header declares; read_npy_header has checked that the file holds exactly
// that payload.
struct NpyHeader {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::string shape_str() const;  // "[96, 4, 32]"
};

NpyArray read_npy(const std::string& path);
// Reads only the header (the payload stays on disk): readers check the shapes of several
// files against each other before they read any large payload. Same errors as read_npy.
NpyHeader read_npy_header(const std::string& path);
// Parses an in-memory file; `name` is used in error messages.
NpyArray parse_npy(const std::string& name, const unsigned char* data, std::size_t size_bytes);

// The bytes of a .npy file (version 1.0) holding `data`.
std::string npy_bytes(DType dtype, const std::vector<std::int64_t>& shape, const void* data);
void write_npy(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data);

}  // namespace ra::io

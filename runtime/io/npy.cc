#include "runtime/io/npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "runtime/core/check.h"
#include "runtime/core/input_file.h"
#include "runtime/core/printable.h"

namespace ra::io {
namespace {

[[noreturn]] void bad(const std::string& name, const std::string& what) {
  throw InputDataError(name + ": not a valid .npy file: " + what);
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(const std::string& name, std::string text) : name_(name), s_(std::move(text)) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = quoted();
      expect(':');
      if (key == "descr") {
        descr = quoted();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        bad(name_, "unknown header key '" + printable(key) + "'");
      }
      skip_ws();
      if (peek() == ',') ++i_;
    }
    if (!have_descr || !have_order || !have_shape) bad(name_, "header lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) bad(name_, std::string("malformed header: expected '") + c + "' at offset " + std::to_string(i_));
    ++i_;
  }
  std::string quoted() {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') bad(name_, "malformed header: expected a quoted string at offset " + std::to_string(i_));
    const std::size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) bad(name_, "malformed header: unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_ws();
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    bad(name_, "malformed header: fortran_order is not True or False");
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++i_;
        return dims;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        bad(name_, "malformed header: shape entry is not a non-negative integer");
      std::int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) bad(name_, "shape entry too large");
        v = v * 10 + (s_[i_++] - '0');
      }
      dims.push_back(v);
      if (dims.size() > 8) bad(name_, "more than 8 dimensions");
      skip_ws();
      if (peek() == ',')
        ++i_;
      else if (peek() != ')')
        bad(name_, "malformed header: shape tuple");
    }
  }

  const std::string& name_;
  std::string s_;
  std::size_t i_ = 0;
};

DType parse_descr(const std::string& name, const std::string& d) {
  if (d == "<f4") return DType::kF32;
  if (d == "<f8") return DType::kF64;
  if (d == "<i4") return DType::kI32;
  if (d == "<f2") return DType::kF16;
  throw InputDataError(name + ": unsupported dtype '" + printable(d) +
                       "' (supported: <f4, <f8, <i4, <f2, little-endian)");
}

const char* descr_of(DType t) {
  switch (t) {
    case DType::kF32: return "<f4";
    case DType::kF64: return "<f8";
    case DType::kI32: return "<i4";
    case DType::kF16: return "<f2";
    case DType::kBF16: break;
    case DType::kU8: return "|u1";
  }
  throw UsageError("write_npy: bf16 has no .npy dtype; convert to f32 first");
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      std::uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400u) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <typename Out>
std::vector<Out> convert(const NpyArray& a) {
  const std::size_t n = static_cast<std::size_t>(a.numel_elems());
  std::vector<Out> out(n);
  const unsigned char* p = a.bytes.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (a.dtype) {
      case DType::kF32: {
        float v;
        std::memcpy(&v, p + 4 * i, 4);
        out[i] = static_cast<Out>(v);
        break;
      }
      case DType::kF64: {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        out[i] = static_cast<Out>(v);
        break;
      }
      case DType::kI32: {
        std::int32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        out[i] = static_cast<Out>(v);
        break;
      }
      case DType::kF16: {
        std::uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        out[i] = static_cast<Out>(half_to_float(v));
        break;
      }
      case DType::kBF16:
      case DType::kU8: throw InternalError("bf16/u8 npy arrays are never read");
    }
  }
  return out;
}

}  // namespace

std::int64_t NpyArray::numel_elems() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string NpyArray::shape_str() const {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

std::vector<float> NpyArray::to_f32() const { return convert<float>(*this); }
std::vector<double> NpyArray::to_f64() const { return convert<double>(*this); }
std::vector<std::int32_t> NpyArray::to_i32() const {
  RA_CHECK(InputDataError, dtype == DType::kI32, "expected an int32 array, got ", dtype_name(dtype));
  return convert<std::int32_t>(*this);
}

namespace {

// What the header of a .npy file says, checked against the file's total size.
struct ParsedHeader {
  NpyHeader header;
  std::size_t payload_offset_bytes = 0;
  std::uint64_t payload_bytes = 0;
};

// Parses the header in the first `available_bytes` of a file of `file_size_bytes` bytes,
// and checks that the file holds exactly the payload the header declares.
ParsedHeader parse_header(const std::string& name, const unsigned char* data, std::size_t available_bytes,
                          std::uint64_t file_size_bytes) {
  static const unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (available_bytes < 10 || std::memcmp(data, kMagic, 6) != 0) bad(name, "missing the \\x93NUMPY magic");
  const int major = data[6];
  std::size_t header_len, prefix;
  if (major == 1) {
    header_len = data[8] | (static_cast<std::size_t>(data[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (available_bytes < 12) bad(name, "truncated header");
    header_len = data[8] | (static_cast<std::size_t>(data[9]) << 8) | (static_cast<std::size_t>(data[10]) << 16) |
                 (static_cast<std::size_t>(data[11]) << 24);
    prefix = 12;
  } else {
    bad(name, "unsupported format version " + std::to_string(major));
  }
  if (header_len > kNpyMaxHeaderBytes) bad(name, "header length " + std::to_string(header_len) + " is absurd");
  if (available_bytes < prefix + header_len) bad(name, "truncated header");
  std::string descr;
  bool fortran = false;
  ParsedHeader out;
  HeaderParser(name, std::string(reinterpret_cast<const char*>(data + prefix), header_len))
      .parse(descr, fortran, out.header.shape);
  if (fortran) throw InputDataError(name + ": Fortran (column-major) order is not supported; save with C order");
  out.header.dtype = parse_descr(name, descr);
  std::uint64_t need_bytes = dtype_size_bytes(out.header.dtype);
  for (std::int64_t d : out.header.shape) {
    const std::uint64_t ud = static_cast<std::uint64_t>(d);
    if (ud != 0 && need_bytes > kNpyMaxBytes / ud)
      bad(name, "declared shape " + out.header.shape_str() + " is absurdly large");
    need_bytes *= ud;
  }
  const std::uint64_t have_bytes = file_size_bytes - prefix - header_len;
  if (have_bytes < need_bytes)
    throw InputDataError(name + ": truncated data: shape " + out.header.shape_str() + " of " + descr + " needs " +
                         std::to_string(need_bytes) + " bytes, the file has " + std::to_string(have_bytes));
  if (have_bytes > need_bytes)
    throw InputDataError(name + ": " + std::to_string(have_bytes - need_bytes) +
                         " bytes of trailing data after shape " + out.header.shape_str());
  out.payload_offset_bytes = prefix + header_len;
  out.payload_bytes = need_bytes;
  return out;
}

}  // namespace

std::string NpyHeader::shape_str() const {
  NpyArray a;
  a.shape = shape;
  return a.shape_str();
}

NpyArray parse_npy(const std::string& name, const unsigned char* data, std::size_t size_bytes) {
  const ParsedHeader h = parse_header(name, data, size_bytes, size_bytes);
  NpyArray out;
  out.dtype = h.header.dtype;
  out.shape = h.header.shape;
  out.bytes.assign(data + h.payload_offset_bytes, data + h.payload_offset_bytes + h.payload_bytes);
  return out;
}

NpyHeader read_npy_header(const std::string& path) {
  const InputFilePrefix p = read_input_file_prefix(
      path,
      {.role = ".npy file", .error_code = ExitCode::kInputData, .max_bytes = kNpyMaxBytes + kNpyMaxHeaderBytes + 12},
      kNpyMaxHeaderBytes + 12);
  return parse_header(path, reinterpret_cast<const unsigned char*>(p.bytes.data()), p.bytes.size(), p.file_size_bytes)
      .header;
}

NpyArray read_npy(const std::string& path) {
  // The header may add up to 1 MiB (refused as absurd beyond) to the largest payload.
  const std::string bytes = read_input_file(
      path,
      {.role = ".npy file", .error_code = ExitCode::kInputData, .max_bytes = kNpyMaxBytes + kNpyMaxHeaderBytes + 12});
  return parse_npy(path, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string npy_bytes(DType dtype, const std::vector<std::int64_t>& shape, const void* data) {
  std::ostringstream h;
  h << "{'descr': '" << descr_of(dtype) << "', 'fortran_order': False, 'shape': (";
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    h << d << ", ";
    n *= d;
  }
  h << "), }";
  std::string header = h.str();
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  const unsigned char prefix[10] = {0x93,
                                    'N',
                                    'U',
                                    'M',
                                    'P',
                                    'Y',
                                    1,
                                    0,
                                    static_cast<unsigned char>(header.size() & 0xff),
                                    static_cast<unsigned char>(header.size() >> 8)};
  std::string out(reinterpret_cast<const char*>(prefix), 10);
  out += header;
  out.append(static_cast<const char*>(data), static_cast<std::size_t>(n) * dtype_size_bytes(dtype));
  return out;
}

void write_npy(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data) {
  const std::string bytes = npy_bytes(dtype, shape, data);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputDataError(path + ": cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw InputDataError(path + ": write failed");
}

}  // namespace ra::io

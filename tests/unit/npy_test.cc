// The hardened .npy reader: round trips, and every malformed file is an
// InputDataError (exit 3) naming the file — including a seeded mutation loop.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/core/error.h"
#include "runtime/io/npy.h"

namespace ra::io {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

std::vector<unsigned char> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), {});
}

// A version-1 file with the given header dict and `payload_bytes` zero bytes of data.
std::vector<unsigned char> with_header(const std::string& dict, std::size_t payload_bytes) {
  std::string header = dict;
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header.push_back('\n');
  std::string file = "\x93NUMPY";
  file.push_back('\x01');
  file.push_back('\x00');
  file.push_back(static_cast<char>(header.size() & 0xff));
  file.push_back(static_cast<char>(header.size() >> 8));
  file += header;
  file.append(payload_bytes, '\0');
  return std::vector<unsigned char>(file.begin(), file.end());
}

TEST(Npy, RoundTripsEachDtype) {
  const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  write_npy(temp_path("f.npy"), DType::kF32, {2, 3}, f.data());
  const NpyArray a = read_npy(temp_path("f.npy"));
  EXPECT_EQ(a.dtype, DType::kF32);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.to_f32(), f);
  const std::vector<std::int32_t> i = {-1, 0, 5};
  write_npy(temp_path("i.npy"), DType::kI32, {3}, i.data());
  EXPECT_EQ(read_npy(temp_path("i.npy")).to_i32(), i);
  const std::vector<double> d = {0.1, -1e300};
  write_npy(temp_path("d.npy"), DType::kF64, {2, 1}, d.data());
  EXPECT_EQ(read_npy(temp_path("d.npy")).to_f64(), d);
  const std::vector<float> scalar = {4.0f};
  write_npy(temp_path("s.npy"), DType::kF32, {}, scalar.data());
  EXPECT_EQ(read_npy(temp_path("s.npy")).to_f32(), scalar);
}

TEST(Npy, ReadsHalfPrecision) {
  // 1.0, -2.0, 65504 (max half), a subnormal 2^-24
  const std::vector<std::uint16_t> h = {0x3c00, 0xc000, 0x7bff, 0x0001};
  std::vector<unsigned char> bytes = with_header("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", 0);
  const auto* raw = reinterpret_cast<const unsigned char*>(h.data());
  for (int i = 0; i < 8; ++i) bytes.push_back(raw[i]);
  const std::vector<float> f = parse_npy("h.npy", bytes.data(), bytes.size()).to_f32();
  EXPECT_EQ(f, (std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f}));
}

void expect_input_error(const std::vector<unsigned char>& bytes, const std::string& mention) {
  try {
    parse_npy("bad.npy", bytes.data(), bytes.size());
    ADD_FAILURE() << "accepted a bad file; expected: " << mention;
  } catch (const InputDataError& e) {
    EXPECT_EQ(exit_status(e), 3);
    EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
  }
}

TEST(Npy, RejectsMalformedFilesNamingTheProblem) {
  expect_input_error({'n', 'o', 'p', 'e'}, "magic");
  expect_input_error(with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), "unsupported dtype");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8), "Fortran");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 8), "truncated data");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8), "trailing");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 0),
                     "absurd");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 0), "shape");
  expect_input_error(with_header("{'descr': '<f4', 'shape': (2,), }", 8), "lacks");
  expect_input_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
                     "unknown header key");
  std::vector<unsigned char> v9 = with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  v9[6] = 9;
  expect_input_error(v9, "version");
}

// The header alone is read: a 16 GiB file (sparse) gives its shape at once, and a header
// that declares more than the file holds is refused without reading the payload.
TEST(Npy, HeaderIsReadWithoutThePayload) {
  const std::string path = temp_path("huge.npy");
  std::vector<unsigned char> bytes =
      with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,), }", 0);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const std::uintmax_t header_bytes = bytes.size();
  std::filesystem::resize_file(path, header_bytes + (std::uintmax_t{1} << 34));
  const NpyHeader h = read_npy_header(path);
  EXPECT_EQ(h.dtype, DType::kF32);
  EXPECT_EQ(h.shape, std::vector<std::int64_t>{4294967296});
  std::filesystem::resize_file(path, header_bytes + (std::uintmax_t{1} << 34) - 4);
  try {
    read_npy_header(path);
    ADD_FAILURE() << "a payload 4 bytes short was accepted";
  } catch (const InputDataError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "truncated data: shape [4294967296] of <f4 needs 17179869184 bytes, the file has 17179869180"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove(path);
}

// Found by fuzz/npy_fuzz (fuzz/regressions/npy_fuzz/newline_in_header_key.npy): header
// text went into the message unescaped, so a key or dtype holding a newline made a
// message of several lines. Every piece of the header a message shows is printable now.
TEST(Npy, HeaderTextInAMessageIsOneLine) {
  for (const auto& [dict, want] : std::vector<std::pair<std::string, std::string>>{
           {"{'descr': '<f4', 'fort\nran': False, 'shape': (2,), }", "unknown header key 'fort\\nran'"},
           {"{'descr': '<f4\r\x01', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype '<f4\\r\\x01'"}}) {
    const std::vector<unsigned char> bytes = with_header(dict, 8);
    try {
      parse_npy("bad.npy", bytes.data(), bytes.size());
      ADD_FAILURE() << "accepted: " << dict;
    } catch (const InputDataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(want), std::string::npos) << what;
      EXPECT_EQ(what.find_first_of("\n\r"), std::string::npos) << what;
    }
  }
  const std::string found = std::string(RA_FUZZ_REGRESSIONS_DIR) + "/npy_fuzz/newline_in_header_key.npy";
  std::vector<unsigned char> bytes = file_bytes(found);
  ASSERT_FALSE(bytes.empty()) << found;
  try {
    parse_npy("found.npy", bytes.data(), bytes.size());
    ADD_FAILURE() << "accepted " << found;
  } catch (const InputDataError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(Npy, MissingFileIsAnInputError) { EXPECT_THROW(read_npy(temp_path("does-not-exist.npy")), InputDataError); }

// Seeded mutation loop: flips, truncations and insertions of a valid file never crash;
// every failure is an InputDataError.
TEST(Npy, MutationFuzzNeverCrashes) {
  const std::vector<float> f(24, 1.0f);
  write_npy(temp_path("seed.npy"), DType::kF32, {2, 3, 4}, f.data());
  const std::vector<unsigned char> seed = file_bytes(temp_path("seed.npy"));
  std::mt19937 rng(2026);
  int accepted = 0, rejected = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<unsigned char> b = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (b.size() + 1);
      switch (rng() % 4) {
        case 0:
          if (at < b.size()) b[at] = static_cast<unsigned char>(rng());
          break;
        case 1: b.resize(at); break;
        case 2:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at),
                   static_cast<unsigned char>("0123456789(),' "[rng() % 15]));
          break;
        default:
          if (at < b.size()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
          break;
      }
    }
    try {
      const NpyArray a = parse_npy("fuzz.npy", b.data(), b.size());
      ASSERT_EQ(a.bytes.size(), static_cast<std::size_t>(a.numel_elems()) * dtype_size_bytes(a.dtype));
      ++accepted;
    } catch (const InputDataError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace ra::io

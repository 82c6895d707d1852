// libFuzzer target: the .npy reader (runtime/io/npy.h, parse_npy: what read_npy runs on a
// file's bytes) and the element conversions the golden cases and the attention tool use.
// Expected refusal: ra::InputDataError (exit 3).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "runtime/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ra::fuzz::expect_only<ra::InputDataError>([&] {
    const ra::io::NpyArray a = ra::io::parse_npy("fuzz.npy", data, size);
    // What was accepted is self-consistent: its bytes are exactly numel × dtype size.
    if (a.bytes.size() != static_cast<std::size_t>(a.numel_elems()) * ra::dtype_size_bytes(a.dtype))
      ra::fuzz::finding("accepted array whose byte count differs from its shape", "size mismatch");
    (void)a.shape_str();
    (void)a.to_f32();
    (void)a.to_f64();
    if (a.dtype == ra::DType::kI32) (void)a.to_i32();
    // Round trip: writing what was read and parsing it again gives the same array.
    const std::string again = ra::io::npy_bytes(a.dtype, a.shape, a.bytes.data());
    const ra::io::NpyArray b =
        ra::io::parse_npy("again.npy", reinterpret_cast<const unsigned char*>(again.data()), again.size());
    if (b.dtype != a.dtype || b.shape != a.shape || b.bytes != a.bytes)
      ra::fuzz::finding("npy_bytes of a parsed array parses to another array", "round trip");
  });
  return 0;
}

// libFuzzer target: the checkpoint manifest reader (runtime/checkpoint/manifest.h:
// parse_manifest, what read_manifest runs on manifest.pb's bytes, formats 1 and 2), then
// meta_of and load_checkpoint's checks of the manifest against a run's expectations
// (check_manifest), which run before any shard is opened. Expected refusal:
// ra::CheckpointError (exit 5).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/manifest.h"

namespace {

// What the seeds' run expects (fuzz/make_seeds: step 7, hash "cfg-hash", one rank).
ra::checkpoint::LoadExpectations expectations() {
  ra::checkpoint::LoadExpectations e;
  e.config_hash = "cfg-hash";
  e.world = {1, 1, 1};
  e.tensors.emplace("w", ra::checkpoint::TensorExpectation{ra::DType::kF32, ra::Shape({2, 3})});
  e.tensors.emplace("b", ra::checkpoint::TensorExpectation{ra::DType::kBF16, ra::Shape({4})});
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ra::checkpoint::LoadExpectations expect = expectations();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // A step directory (its name is checked against the manifest's step) and a directory
  // of another name (no step check).
  for (const char* dir : {"ckpt/step-000000000007", "ckpt/manual"}) {
    ra::fuzz::expect_only<ra::CheckpointError>([&] {
      const ra::checkpoint::Manifest m = ra::checkpoint::parse_manifest(dir, bytes);
      (void)ra::checkpoint::meta_of(m);
      ra::checkpoint::check_manifest(dir, m, expect);
    });
  }
  return 0;
}

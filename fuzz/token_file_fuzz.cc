// libFuzzer target: the binary token-file reader (runtime/data/token_file.h,
// parse_token_file: what read_token_file runs on a file's bytes). Expected refusal:
// ra::InputDataError (exit 3).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "runtime/data/documents.h"
#include "runtime/data/token_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // Two model vocabularies: byte-level (256, the text corpora's) and a large one, so both
  // the model's and the header's vocab rules are reached.
  for (const std::uint32_t model_vocab : {256u, 70000u}) {
    ra::fuzz::expect_only<ra::InputDataError>([&] {
      const ra::data::Documents d = ra::data::parse_token_file("fuzz.tok", bytes, model_vocab);
      // What was accepted is what every consumer indexes by (check_documents throws
      // ra::UsageError otherwise, which expect_only reports as a finding).
      ra::data::check_documents(d, "fuzz.tok");
      for (const std::uint32_t t : d.tokens)
        if (t >= model_vocab) ra::fuzz::finding("accepted a token >= the model's vocab", "vocab");
    });
  }
  return 0;
}

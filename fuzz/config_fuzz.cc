// libFuzzer target: the whole config path of `ringattn check-config --config FILE` on the
// file's bytes, without the file system: strict YAML loading with schema defaults and
// ranges (load_config_text, what load_config runs on the file's content), the job's
// default world size as check-config computes it, the cross-key rules (resolve, with and
// without CUDA built) and the resolved YAML (to_yaml), which must load back to the same
// config (config_print.h's contract). Expected refusal: ra::UsageError (exit 2).
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "runtime/config/config.h"
#include "runtime/config/config_print.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const ra::config::CudaSupport cuda : {ra::config::CudaSupport::kNotBuilt, ra::config::CudaSupport::kBuilt}) {
    ra::fuzz::expect_only<ra::UsageError>([&] {
      ra::config::LoadedConfig loaded = ra::config::load_config_text("fuzz.yaml", text, {});
      const int world = ra::config::default_world_size(loaded);
      ra::config::resolve(loaded, {world, cuda});
      // What resolve promises: the world splits into sp × dp ranks, sp and dp at least 1.
      const ra::config::Parallel& p = loaded.config.parallel();
      if (world < 1 || p.sp() < 1 || p.dp() < 1 || std::uint64_t{p.sp()} * p.dp() != static_cast<std::uint64_t>(world))
        ra::fuzz::finding("resolved parallel.sp × parallel.dp differs from the job's ranks", "world");
      const std::string yaml = ra::config::to_yaml(loaded);
      // The resolved YAML is a config that loads back to the same values, and resolving
      // it again changes nothing.
      ra::config::LoadedConfig again;
      try {
        again = ra::config::load_config_text("resolved.yaml", yaml, {});
      } catch (const ra::UsageError& e) {
        ra::fuzz::finding(e.what(), "to_yaml output does not load back");
      }
      if (!google::protobuf::util::MessageDifferencer::Equals(again.config, loaded.config))
        ra::fuzz::finding(yaml.c_str(), "to_yaml output loads back to another config");
    });
  }
  return 0;
}

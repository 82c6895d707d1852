// Hardware profiles: the shipped ones load; a bad one is refused naming file, key, rule.
#include "runtime/plan/hardware.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/core/error.h"

namespace ra::plan {
namespace {

namespace fs = std::filesystem;

TEST(Hardware, TheShippedProfilesLoad) {
  int loaded = 0;
  for (const auto& e : fs::directory_iterator(fs::path(RA_SOURCE_DIR) / "configs" / "hardware")) {
    const HardwareProfile h = load_hardware_profile(e.path().string());
    EXPECT_FALSE(h.name.empty()) << e.path();
    EXPECT_GT(h.peak_tflops_bf16, h.peak_tflops_fp32) << e.path();
    EXPECT_GE(h.intra_node_gbps, h.inter_node_gbps) << e.path();
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
}

std::string refusal(const std::string& yaml) {
  const fs::path p = fs::temp_directory_path() / ("ra_hw_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  std::ofstream(p) << yaml;
  try {
    load_hardware_profile(p.string());
  } catch (const UsageError& e) {
    fs::remove(p);
    return e.what();
  }
  fs::remove(p);
  return "";
}

TEST(Hardware, BadProfilesAreRefusedNamingTheKey) {
  const std::string good =
      std::string("name: x\ndevice_memory_gib: 80\npeak_tflops_bf16: 900\npeak_tflops_fp32: 60\n") +
      "attention_efficiency: 0.1\ngemm_efficiency: 0.5\ngpus_per_node: 8\nintra_node_gbps: 400\n" +
      "intra_node_latency_us: 5\ninter_node_gbps: 50\ninter_node_latency_us: 10\n";
  EXPECT_EQ(refusal(good), "");
  EXPECT_NE(refusal(good + "nvlink: 3\n").find("unknown key `nvlink`"), std::string::npos);
  EXPECT_NE(refusal("name: x\n").find("`device_memory_gib` is missing"), std::string::npos);
  std::string bad = good;
  bad.replace(bad.find("attention_efficiency: 0.1"), 25, "attention_efficiency: 3.0");
  EXPECT_NE(refusal(bad).find("`attention_efficiency` = 3.0 is outside"), std::string::npos) << refusal(bad);
  bad = good;
  bad.replace(bad.find("gpus_per_node: 8"), 16, "gpus_per_node: many");
  EXPECT_NE(refusal(bad).find("'many' is not a number"), std::string::npos) << refusal(bad);
  EXPECT_NE(refusal("- a\n- b\n").find("mapping"), std::string::npos);
}

}  // namespace
}  // namespace ra::plan

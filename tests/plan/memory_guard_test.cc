// The memory guard's pure parts: the kernel files it reads (meminfo, cgroup v1 and v2)
// from a fake root, the margin, and the refusal's wording.
#include "runtime/plan/memory_guard.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ra::plan {
namespace {

namespace fs = std::filesystem;

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ra_plan_root_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    const fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

constexpr std::int64_t GiB = 1ll << 30;

TEST(MemoryGuard, ParsesMemAvailable) {
  EXPECT_EQ(parse_meminfo_available("MemTotal: 100 kB\nMemFree: 5 kB\nMemAvailable:   2048 kB\n"), 2048 * 1024);
  EXPECT_FALSE(parse_meminfo_available("MemTotal: 100 kB\n").has_value());
  EXPECT_FALSE(parse_meminfo_available("MemAvailable: lots\n").has_value());
}

TEST(MemoryGuard, ParsesCgroupLimits) {
  EXPECT_EQ(parse_cgroup_limit("8589934592\n"), 8 * GiB);
  EXPECT_FALSE(parse_cgroup_limit("max\n").has_value());
  EXPECT_FALSE(parse_cgroup_limit("9223372036854771712\n").has_value()) << "cgroup v1's 'no limit'";
  EXPECT_FALSE(parse_cgroup_limit("garbage").has_value());
}

TEST_F(FakeRoot, MemAvailableAlone) {
  write("proc/meminfo", "MemAvailable: 4194304 kB\n");
  const MemoryAvailable a = available_memory(root_.string());
  EXPECT_EQ(a.bytes, 4 * GiB);
  EXPECT_NE(a.source.find("MemAvailable"), std::string::npos) << a.source;
}

TEST_F(FakeRoot, ACgroupV2LimitBelowMemAvailableWins) {
  write("proc/meminfo", "MemAvailable: 16777216 kB\n");  // 16 GiB
  write("proc/self/cgroup", "0::/job_42\n");
  write("sys/fs/cgroup/job_42/memory.max", std::to_string(6 * GiB) + "\n");
  write("sys/fs/cgroup/job_42/memory.current", std::to_string(1 * GiB) + "\n");
  const MemoryAvailable a = available_memory(root_.string());
  EXPECT_EQ(a.bytes, 5 * GiB);
  EXPECT_NE(a.source.find("memory.max"), std::string::npos) << a.source;
}

TEST_F(FakeRoot, ACgroupV1LimitAtTheRootWhenThePathIsNotVisible) {
  write("proc/meminfo", "MemAvailable: 16777216 kB\n");
  write("proc/self/cgroup", "4:memory:/slurm/uid_0/job_7\n1:cpu:/\n");
  write("sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(3 * GiB) + "\n");
  write("sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(1 * GiB) + "\n");
  const MemoryAvailable a = available_memory(root_.string());
  EXPECT_EQ(a.bytes, 2 * GiB);
  EXPECT_NE(a.source.find("memory.limit_in_bytes"), std::string::npos) << a.source;
}

TEST_F(FakeRoot, AnUnlimitedCgroupLeavesMemAvailable) {
  write("proc/meminfo", "MemAvailable: 2097152 kB\n");
  write("proc/self/cgroup", "0::/\n");
  write("sys/fs/cgroup/memory.max", "max\n");
  write("sys/fs/cgroup/memory.current", "12345\n");
  EXPECT_EQ(available_memory(root_.string()).bytes, 2 * GiB);
}

TEST_F(FakeRoot, NothingReadableMeansNothingToCheck) {
  const MemoryAvailable a = available_memory(root_.string());
  EXPECT_NE(a.source.find("unknown"), std::string::npos);
  MemoryEstimate big;
  big.add("everything", 1ll << 50, Residence::kHost);
  EXPECT_EQ(fit_refusal("bench", big, 1, a, "advice"), "");
}

TEST(MemoryGuard, MarginIsFivePercentAtLeast256MiB) {
  EXPECT_EQ(safety_margin_bytes(1 * GiB), 256ll << 20);
  EXPECT_EQ(safety_margin_bytes(100 * GiB), 5 * GiB);
}

TEST(MemoryGuard, RefusalNamesEstimateAvailableTermsAndAdvice) {
  MemoryEstimate m;
  m.add("ring KV blocks", 3 * GiB, Residence::kDevice);
  m.add("inputs", 1 * GiB, Residence::kHost);
  m.add("small", 1024, Residence::kHost);
  const MemoryAvailable avail{8 * GiB, "MemAvailable of /proc/meminfo"};
  // Two ranks of 4 GiB + baseline do not fit in 8 GiB − 409.6 MiB; one does.
  EXPECT_EQ(fit_refusal("bench", m, 1, avail, "Use fewer tokens"), "");
  const std::string r = fit_refusal("bench at 4096 tokens per rank", m, 2, avail, "Use fewer tokens");
  ASSERT_FALSE(r.empty());
  for (const char* want : {"bench at 4096 tokens per rank needs about 4.09 GiB per rank", "x 2 ranks on this node",
                           "8.00 GiB is available (MemAvailable of /proc/meminfo", "ring KV blocks 3.00 GiB",
                           "Use fewer tokens", "ringattn plan"}) {
    EXPECT_NE(r.find(want), std::string::npos) << "missing '" << want << "' in: " << r;
  }
}

TEST(MemoryModel, ThePeakIsTheLargestPhase) {
  MemoryEstimate m;
  m.add("whole run", 100, Residence::kDevice);
  m.add("host always", 5, Residence::kHost);
  m.add("a", 50, Residence::kDevice, "first");
  m.add("b", 70, Residence::kDevice, "second");
  m.add("b host", 1, Residence::kHost, "second");
  m.add("a host", 30, Residence::kHost, "first");
  EXPECT_EQ(m.bytes_on(Residence::kDevice), 170);  // whole run + second
  EXPECT_EQ(m.bytes_on(Residence::kHost), 35);     // host always + a host
  EXPECT_EQ(m.total_bytes(), 185);                 // first: 100 + 5 + 50 + 30; second: 176
  MemoryEstimate none;
  EXPECT_EQ(none.total_bytes(), 0);
}

TEST(MemoryModel, FormatsBytes) {
  EXPECT_EQ(format_bytes(17), "17 B");
  EXPECT_EQ(format_bytes(4096), "4.0 KiB");
  EXPECT_EQ(format_bytes(312ll << 20), "312 MiB");
  EXPECT_EQ(format_bytes(3 * GiB / 2), "1.50 GiB");
}

}  // namespace
}  // namespace ra::plan
